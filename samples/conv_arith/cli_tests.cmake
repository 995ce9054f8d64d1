# conv-arith run as a user runs it. Included from tests/CMakeLists.txt, because the top level enables
# testing only after adding samples/; the sanitizer build has no samples and skips these.
if(TARGET conv-arith)
  # Every figure of the guide, printed, traced through the operators and drawn.
  add_test(NAME conv_arith_figures
    COMMAND conv-arith --figure all --matrix -o ${CMAKE_CURRENT_BINARY_DIR}/conv_arith_figures)
  # Invalid parameters: the operator's own message on one line, exit code 2.
  add_test(NAME conv_arith_rejects_like_the_operator
    COMMAND sh -c "\"$0\" --kind maxpool -k 3 -p 2 2>&1; echo \"exit $?\"" $<TARGET_FILE:conv-arith>)
  set_tests_properties(conv_arith_rejects_like_the_operator PROPERTIES PASS_REGULAR_EXPRESSION
    "^conv-arith: MaxPool2d: pad should be at most half of kernel size, but got padding=\\(2, 2\\) and kernel_size=\\(3, 3\\)\nexit 2\n$")
  add_test(NAME conv_arith_rejects_a_negative_input
    COMMAND sh -c "\"$0\" -i -5 2>&1; echo \"exit $?\"" $<TARGET_FILE:conv-arith>)
  set_tests_properties(conv_arith_rejects_a_negative_input PROPERTIES PASS_REGULAR_EXPRESSION
    "^conv-arith: --input: sizes cannot be negative, but got \\(-5, -5\\)\nexit 2\n$")
  # -o names files, but --figure all's folder: each mistake said before anything is drawn.
  add_test(NAME conv_arith_out_names_files
    COMMAND sh -c "d=$(mktemp -d); touch $d/file; \"$0\" -o $d/ 2>&1; \
\"$0\" --figure all -o $d/file 2>&1; ls $d; rm -r $d" $<TARGET_FILE:conv-arith>)
  set_tests_properties(conv_arith_out_names_files PROPERTIES PASS_REGULAR_EXPRESSION "^\
conv-arith: --out '[^']*/': expected a file name without its extension \
\\(OUT gives OUT.png and OUT.gif\\), not a folder\n\
conv-arith: --out '[^']*/file': cannot make the folder of the figures: Not a directory\nfile\n$")
  # A write that fails (files limited to 512 bytes, as on a full disk) leaves the earlier drawings whole.
  add_test(NAME conv_arith_failed_write_keeps_the_drawings
    COMMAND sh -c "d=$(mktemp -d); \"$0\" -o $d/x > /dev/null; cp $d/x.png $d/png; cp $d/x.gif $d/gif; \
(trap '' XFSZ; ulimit -f 1; \"$0\" -k 2 -o $d/x 2>&1 > /dev/null; echo \"exit $?\"); \
cmp $d/x.png $d/png && cmp $d/x.gif $d/gif && ls $d; rm -r $d" $<TARGET_FILE:conv-arith>)
  set_tests_properties(conv_arith_failed_write_keeps_the_drawings PROPERTIES PASS_REGULAR_EXPRESSION
    "^conv-arith: cannot write image '[^']*/x.png': File too large\nexit 2\ngif\npng\nx.gif\nx.png\n$")
endif()

# `conv-arith serve`: its JSON, pictures and errors over HTTP, and the page rendered by headless chromium.
if(TARGET conv-arith)
  add_executable(conv_arith_serve_test conv_arith_serve_test.cpp)
  target_link_libraries(conv_arith_serve_test PRIVATE GTest::gtest_main nlohmann_json::nlohmann_json PkgConfig::HTTPLIB)
  target_compile_definitions(conv_arith_serve_test PRIVATE CONV_ARITH="$<TARGET_FILE:conv-arith>")
  add_dependencies(conv_arith_serve_test conv-arith)
  gtest_discover_tests(conv_arith_serve_test DISCOVERY_TIMEOUT 60 PROPERTIES TIMEOUT 120)
endif()
