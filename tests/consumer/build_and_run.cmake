# ctest's install_consumer: install the Strider build into a scratch prefix and, as a user would,
#  - build the consumer project (main.cpp and every C++ block of README.md) with find_package(Strider)
#    and run it all, in a scratch directory holding the files the README's examples read;
#  - compile main.cpp with pkg-config instead of CMake;
#  - run the installed programs: --version, and `upsample` finding its installed weights by itself.
file(REMOVE_RECURSE ${WORK})
set(prefix ${WORK}/prefix)
set(run ${WORK}/run)
file(MAKE_DIRECTORY ${run})
file(COPY ${CONSUMER_SOURCE}/data/unet.onnx DESTINATION ${run})
file(COPY_FILE ${SAMPLE_DATA}/astronaut_256.png ${run}/photo.png)

function(step)
  execute_process(COMMAND ${ARGN} WORKING_DIRECTORY ${run} RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE out)
  message("$ ${ARGN}\n${out}")
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "install_consumer: '${ARGN}' failed (${status})")
  endif()
  set(out "${out}" PARENT_SCOPE)
endfunction()

step(${CMAKE_COMMAND} --install ${STRIDER_BUILD} --prefix ${prefix})
step(${CMAKE_COMMAND} -S ${CONSUMER_SOURCE} -B ${WORK}/build -DCMAKE_PREFIX_PATH=${prefix} -DWITH_ONNX=${WITH_ONNX}
     -DREADME=${README} -DCMAKE_BUILD_TYPE=Release)
step(${CMAKE_COMMAND} --build ${WORK}/build)
# The consumer's programs are not installed beside the weights: they find them through STRIDER_DATA_DIR.
set(ENV{STRIDER_DATA_DIR} ${prefix}/share/strider)
step(${WORK}/build/consumer)
step(${WORK}/build/readme_data)
file(READ ${WORK}/build/readme_programs.txt programs)
foreach(program ${programs})
  step(${WORK}/build/${program})
endforeach()

# pkg-config: the same main.cpp, compiled and linked from strider.pc and strider-vision.pc alone.
set(ENV{PKG_CONFIG_PATH} ${prefix}/lib/pkgconfig)
step(pkg-config --cflags --libs strider-vision)
separate_arguments(flags UNIX_COMMAND "${out}")
# (OpenCV 4.6 headers warn under C++20; CMake includes them as system headers, pkg-config does not.)
step(c++ -Wno-deprecated-enum-enum-conversion ${CONSUMER_SOURCE}/main.cpp -o ${WORK}/pkgconfig_consumer ${flags})
step(${WORK}/pkgconfig_consumer)
unset(ENV{STRIDER_DATA_DIR})

# The installed programs: their version, and the weights found relative to upsample's own location.
foreach(program upsample conv-arith strider-run)
  if(EXISTS ${prefix}/bin/${program})
    step(${prefix}/bin/${program} --version)
    if(NOT out MATCHES "^${program} ${VERSION}\n")
      message(FATAL_ERROR "install_consumer: ${program} --version printed '${out}'")
    endif()
  endif()
endforeach()
step(${prefix}/bin/upsample photo.png -o photo_installed_x2.png --quiet)
step(${prefix}/bin/upsample)  # the demo: the installed photo, written here with its comparison
if(NOT EXISTS ${run}/astronaut_256_x2.png OR NOT EXISTS ${run}/astronaut_256_x2_compare.png)
  message(FATAL_ERROR "install_consumer: the installed upsample's demo wrote nothing")
endif()
