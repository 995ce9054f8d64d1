# The ONNX loader's end-to-end tests: parity with PyTorch through parity-runner (the CI subset of
# tests/pytorch/parity.py, which keeps its cases for the next test) and strider-run on one of its
# exported encoder-decoders.
add_executable(parity-runner parity_runner.cpp module_spec.cpp)
target_link_libraries(parity-runner PRIVATE strider_onnx nlohmann_json::nlohmann_json)

# Needs Debian's python3-torch (dev.sh installs it); exit code 77 = skipped when it is missing.
set(parity_dir ${CMAKE_CURRENT_BINARY_DIR}/parity)
add_test(NAME onnx_parity_quick
  COMMAND sh -c "/usr/bin/python3 -c 'import torch' 2>/dev/null || exit 77; exec /usr/bin/python3 \"$0\" --quick --runner \"$1\" --keep \"$2\""
          ${CMAKE_CURRENT_SOURCE_DIR}/pytorch/parity.py $<TARGET_FILE:parity-runner> ${parity_dir})
set_tests_properties(onnx_parity_quick PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 600 FIXTURES_SETUP parity_cases)

if(TARGET strider-run)
  add_test(NAME strider_run_encoder_decoder
    COMMAND strider-run ${parity_dir}/encdec00.onnx ${parity_dir}/encdec00.input.npy
            --compare ${parity_dir}/encdec00.expected.npy --repeat 3 -o ${parity_dir}/encdec00.cli.npy)
  set_tests_properties(strider_run_encoder_decoder PROPERTIES FIXTURES_REQUIRED parity_cases
    PASS_REGULAR_EXPRESSION "max abs error .*: ok")
  # Outputs are checked before anything runs (one error line, nothing printed before it): an unknown
  # name, a format no writer takes, a missing folder, a folder given as the file (parity, the cases' own),
  # the input file named another way (it was overwritten).
  foreach(case "nosuch=y.npy|has no output named 'nosuch'" "y.xyz|not a format strider-run writes"
                "missing_dir/y.npy|the folder 'missing_dir' does not exist" "parity|it is a folder, not a file name"
                "parity/../parity/encdec00.input.npy|refusing to write over a file this run reads")
    string(REPLACE "|" ";" parts "${case}")
    list(GET parts 0 output)
    list(GET parts 1 message)
    string(MAKE_C_IDENTIFIER "${output}" id)
    add_test(NAME strider_run_names_output_${id}
      COMMAND sh -c "\"$0\" \"$1\" \"$2\" -o \"$3\" 2>&1; echo \"exit $?\"" $<TARGET_FILE:strider-run>
              ${parity_dir}/encdec00.onnx ${parity_dir}/encdec00.input.npy ${output})
    set_tests_properties(strider_run_names_output_${id} PROPERTIES FIXTURES_REQUIRED parity_cases
      PASS_REGULAR_EXPRESSION "^strider-run: [^\n]*${message}[^\n]*\nexit 2\n$")
  endforeach()
  # A tolerance of NaN passed every comparison.
  add_test(NAME strider_run_rejects_a_nan_tolerance
    COMMAND sh -c "\"$0\" \"$1\" \"$2\" --compare \"$3\" --atol nan 2>&1; echo \"exit $?\"" $<TARGET_FILE:strider-run>
            ${parity_dir}/encdec00.onnx ${parity_dir}/encdec00.input.npy ${parity_dir}/encdec00.expected.npy)
  set_tests_properties(strider_run_rejects_a_nan_tolerance PROPERTIES FIXTURES_REQUIRED parity_cases
    PASS_REGULAR_EXPRESSION "^strider-run: --atol must be a finite number >= 0, but got nan\nexit 2\n$")
  # A file that is not ONNX: one line naming the file, exit code 2.
  add_test(NAME strider_run_rejects_a_bad_file
    COMMAND sh -c "\"$0\" \"$1\" \"$1\" 2>&1; echo \"exit $?\"" $<TARGET_FILE:strider-run> ${CMAKE_CURRENT_SOURCE_DIR}/onnx_tests.cmake)
  set_tests_properties(strider_run_rejects_a_bad_file PROPERTIES PASS_REGULAR_EXPRESSION
    "^strider-run: [^\n]*onnx_tests.cmake: not an ONNX model \\(the protobuf does not parse\\)\nexit 2\n$")
endif()

# Hand-built models (onnx_proto's ModelProto): what torch does not emit, and broken files.
find_package(Protobuf REQUIRED)
find_package(ONNX REQUIRED)
add_executable(onnx_tests onnx_test.cpp onnx_runtime_test.cpp test_util.cpp)
target_link_libraries(onnx_tests PRIVATE strider_onnx onnx_proto protobuf::libprotobuf GTest::gtest_main)
gtest_discover_tests(onnx_tests DISCOVERY_TIMEOUT 60)
