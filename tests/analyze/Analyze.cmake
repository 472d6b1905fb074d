# sipreply analyze tests (docs/analyze.md): hand-made captures against tshark and known
# answers, and live loopback traffic (sipreplyd driven by SIPp) captured with dumpcap.
# Skipped (exit 77) with the reason only when tshark, python3, sipp, kamailio or capture rights
# are missing on the machine.
add_test(NAME analyze.handmade
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/test_handmade.sh $<TARGET_FILE:sipreply_cli>
                 ${PROJECT_SOURCE_DIR})
set_tests_properties(analyze.handmade PROPERTIES TIMEOUT 600 SKIP_RETURN_CODE 77)
if(TARGET sipreplyd)
  add_test(NAME analyze.live
           COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/test_live.sh $<TARGET_FILE:sipreplyd>
                   $<TARGET_FILE:sipreply_cli> ${PROJECT_SOURCE_DIR})
  set_tests_properties(analyze.live PROPERTIES TIMEOUT 300 SKIP_RETURN_CODE 77)
endif()
# The --html page in headless chromium; screenshots and pages go to build/artifacts/.
add_test(NAME analyze.html
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/test_html.sh $<TARGET_FILE:sipreply_cli>
                 ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR}/artifacts)
set_tests_properties(analyze.html PROPERTIES TIMEOUT 300 SKIP_RETURN_CODE 77)
if(TARGET sipreplyd)
  add_test(NAME analyze.kamailio
           COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/test_kamailio.sh $<TARGET_FILE:sipreplyd>
                   $<TARGET_FILE:sipreply_cli> ${PROJECT_SOURCE_DIR})
  set_tests_properties(analyze.kamailio PROPERTIES TIMEOUT 300 SKIP_RETURN_CODE 77)
endif()
# --pipe-stats: a line per thread of the pipeline, the report unchanged
add_test(NAME analyze.pipe_stats
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/test_pipe_stats.sh $<TARGET_FILE:sipreply_cli>
                 ${PROJECT_SOURCE_DIR})
set_tests_properties(analyze.pipe_stats PROPERTIES TIMEOUT 120 SKIP_RETURN_CODE 77)
