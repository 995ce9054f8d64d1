# The ONNX loader's tests: parity with PyTorch through parity-runner (the CI subset of
# tests/pytorch/parity.py) and strider-run on an exported encoder-decoder.
add_executable(parity-runner parity_runner.cpp module_spec.cpp)
target_link_libraries(parity-runner PRIVATE strider_onnx nlohmann_json::nlohmann_json)

# Needs Debian's python3-torch (dev.sh installs it); exit code 77 = skipped when it is missing.
add_test(NAME onnx_parity_quick
  COMMAND sh -c "/usr/bin/python3 -c 'import torch' 2>/dev/null || exit 77; exec /usr/bin/python3 \"$0\" --quick --runner \"$1\""
          ${CMAKE_CURRENT_SOURCE_DIR}/pytorch/parity.py $<TARGET_FILE:parity-runner>)
set_tests_properties(onnx_parity_quick PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 600)
