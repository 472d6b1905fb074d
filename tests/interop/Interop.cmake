# sipreply interop suite (tests/interop, docs/interop.md): sipreplyd against SIPp, with every
# run captured on the loopback and dissected by tshark, and the torture sender. Loopback
# only; every test starts its own daemon on ports the kernel picks, so they run in parallel.
# A test whose peer (sipp, tshark) is not installed is skipped (exit 77) with the reason.

add_executable(sr_torture ${CMAKE_CURRENT_LIST_DIR}/sr_torture.c)
target_link_libraries(sr_torture PRIVATE sipreply_static)
sr_target_warnings(sr_torture APP)
sr_target_sanitizers(sr_torture)

set(SR_INTEROP_DIR ${CMAKE_CURRENT_LIST_DIR})

# interop.sipp.<scenario>.<transport>[.loss<N>]
function(sr_interop_sipp scen proto)
  set(name interop.sipp.${scen}.${proto})
  if(ARGC GREATER 2)
    set(name ${name}.loss${ARGV2})
  endif()
  add_test(NAME ${name}
           COMMAND bash ${SR_INTEROP_DIR}/test_sipp.sh $<TARGET_FILE:sipreplyd>
                   ${PROJECT_SOURCE_DIR} ${scen} ${proto} ${ARGN})
  set_tests_properties(${name} PROPERTIES TIMEOUT 150 SKIP_RETURN_CODE 77)
endfunction()

foreach(scen uac_486 uac_180_200 uac_prack uac_cancel uac_register uac_options)
  sr_interop_sipp(${scen} udp)
  sr_interop_sipp(${scen} tcp)
endforeach()
foreach(scen uac_486 uac_180_200 uac_prack uac_cancel uac_register)
  sr_interop_sipp(${scen} udp 10)
endforeach()

add_test(NAME interop.torture
         COMMAND bash ${SR_INTEROP_DIR}/test_torture.sh $<TARGET_FILE:sipreplyd>
                 $<TARGET_FILE:sr_torture> ${PROJECT_SOURCE_DIR})
set_tests_properties(interop.torture PROPERTIES TIMEOUT 150 SKIP_RETURN_CODE 77)

# digest through Kamailio rewriting the Request-URI (RFC 3261 §22.4 item 6): skipped, loudly,
# when kamailio is not installed
add_test(NAME interop.kamailio.auth_rewrite
         COMMAND bash ${SR_INTEROP_DIR}/test_kamailio_auth.sh $<TARGET_FILE:sipreplyd>
                 ${PROJECT_SOURCE_DIR})
set_tests_properties(interop.kamailio.auth_rewrite PROPERTIES TIMEOUT 150 SKIP_RETURN_CODE 77)

# forking: the same forks through Kamailio's tm and sipreplyd's forward action (RFC 3261 §16.7)
add_test(NAME interop.kamailio.fork
         COMMAND bash ${SR_INTEROP_DIR}/test_kamailio_fork.sh $<TARGET_FILE:sipreplyd>
                 ${PROJECT_SOURCE_DIR})
set_tests_properties(interop.kamailio.fork PROPERTIES TIMEOUT 200 SKIP_RETURN_CODE 77)

# a reliable 183 with SDP never PRACKed: no 2xx, then 500 after 64*T1 (RFC 3262 §3)
add_test(NAME interop.sipp.uac_no_prack.udp
         COMMAND bash ${SR_INTEROP_DIR}/test_sipp_no_prack.sh $<TARGET_FILE:sipreplyd>
                 ${PROJECT_SOURCE_DIR})
set_tests_properties(interop.sipp.uac_no_prack.udp PROPERTIES TIMEOUT 150 SKIP_RETURN_CODE 77)

# SDP offer/answer (RFC 3264): an answer with PCMA only, 488 + Warning 305, our offer in the
# 200 and the answer in the ACK; hold and resume within a dialog, then 481 for it ended
add_test(NAME interop.sipp.sdp.udp
         COMMAND bash ${SR_INTEROP_DIR}/test_sipp_sdp.sh $<TARGET_FILE:sipreplyd>
                 ${PROJECT_SOURCE_DIR})
set_tests_properties(interop.sipp.sdp.udp PROPERTIES TIMEOUT 150 SKIP_RETURN_CODE 77)

# RTP echo (RFC 3550): SIPp plays its g711a.pcap to a rule in media `echo` mode; tshark's
# rtp,streams and fields check the echoed stream (tests/interop/test_sipp_rtp.sh)
add_test(NAME interop.sipp.rtp_echo.udp
         COMMAND bash ${SR_INTEROP_DIR}/test_sipp_rtp.sh $<TARGET_FILE:sipreplyd>
                 ${PROJECT_SOURCE_DIR})
set_tests_properties(interop.sipp.rtp_echo.udp PROPERTIES TIMEOUT 300 SKIP_RETURN_CODE 77)

# a tone (RFC 3550 media) heard by baresip, recorded to WAV, its frequency found
add_test(NAME interop.baresip.tone
         COMMAND bash ${SR_INTEROP_DIR}/test_baresip_tone.sh $<TARGET_FILE:sipreplyd>
                 ${PROJECT_SOURCE_DIR})
set_tests_properties(interop.baresip.tone PROPERTIES TIMEOUT 120 SKIP_RETURN_CODE 77)

# Through Kamailio with the CLI too (skipped, loudly, when kamailio is not installed):
#   probe     sipreply probe: OPTIONS answered by it, REGISTER with its digest challenge,
#             INVITEs record-routed to sipreplyd (ACK, BYE)
#   register  sipreplyd registers 20 AORs of a range to Kamailio (digest, 423), answers the
#             calls Kamailio routes to them by its location table, reports a wrong password,
#             and de-registers on SIGTERM
if(TARGET sipreply_cli)
  foreach(t "probe;600" "register;300")
    list(GET t 0 name)
    list(GET t 1 timeout)
    add_test(NAME interop.kamailio.${name}
             COMMAND bash ${SR_INTEROP_DIR}/test_kamailio_${name}.sh $<TARGET_FILE:sipreplyd>
                     ${PROJECT_SOURCE_DIR} $<TARGET_FILE:sipreply_cli>)
    set_tests_properties(interop.kamailio.${name} PROPERTIES TIMEOUT ${timeout}
                         SKIP_RETURN_CODE 77)
  endforeach()
endif()

# DTMF (RFC 4733): SIPp plays sip-tester's dtmf_2833_1 and _9 pcaps to examples/ivr.yaml; the
# menu switches to a tone, then hangs up (SIPp receives our BYE); then SIGTERM during a call
# ends it with our BYE (tests/interop/test_sipp_dtmf.sh)
add_test(NAME interop.sipp.dtmf.udp
         COMMAND bash ${SR_INTEROP_DIR}/test_sipp_dtmf.sh $<TARGET_FILE:sipreplyd>
                 ${PROJECT_SOURCE_DIR})
set_tests_properties(interop.sipp.dtmf.udp PROPERTIES TIMEOUT 150 SKIP_RETURN_CODE 77)
