# Turn a text file into a C header holding it as a NUL-terminated char array, so the CLI can
# write it out without reading files at run time (sipreply analyze --html inlines its script).
# usage: cmake -DIN=file -DOUT=header.h -DNAME=identifier -P cmake/EmbedText.cmake
file(READ ${IN} hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," body "${hex}")
string(REGEX REPLACE "(0x[0-9a-f][0-9a-f],){16}" "\\0\n" body "${body}")
file(WRITE ${OUT}.tmp "/* generated from ${IN} by cmake/EmbedText.cmake: do not edit */\n"
     "static const unsigned char ${NAME}[] = {\n${body}0x00};\n")
configure_file(${OUT}.tmp ${OUT} COPYONLY)
