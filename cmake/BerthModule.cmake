# berth_add_module(NAME SOURCES ... PUBLIC_DEPS ... PRIVATE_DEPS ... TESTS ...)
# -> static library berth_NAME (alias berth::NAME) and, when TESTS are given, the unit test
#    executable unit_NAME registered with ctest under the label "unit".
# Headers are included by their path from src/ ("base/status.h").
function(berth_add_module name)
  cmake_parse_arguments(M "" "" "SOURCES;PUBLIC_DEPS;PRIVATE_DEPS;TESTS;TEST_DEPS" ${ARGN})
  add_library(berth_${name} STATIC ${M_SOURCES})
  add_library(berth::${name} ALIAS berth_${name})
  target_include_directories(berth_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(berth_${name} PUBLIC ${M_PUBLIC_DEPS} PRIVATE ${M_PRIVATE_DEPS} berth::warnings)
  if(M_TESTS)
    berth_add_test(unit_${name} LABELS unit SOURCES ${M_TESTS} DEPS berth::${name} ${M_TEST_DEPS})
  endif()
endfunction()

# berth_add_test(NAME LABELS label SOURCES ... DEPS ...): one gtest executable, one ctest entry.
function(berth_add_test name)
  cmake_parse_arguments(T "" "LABELS;TIMEOUT" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_DEPS} GTest::gtest GTest::gmock GTest::gtest_main berth::warnings)
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR}/tests)
  if(BERTH_SANITIZER STREQUAL "thread")
    # ThreadSanitizer cannot see inside Debian's uninstrumented absl::Mutex: see the file.
    target_sources(${name} PRIVATE ${PROJECT_SOURCE_DIR}/tests/support/tsan/absl_mutex_annotations.cc)
    target_link_options(${name} PRIVATE "LINKER:--export-dynamic-symbol=_ZN4absl7debian3*Mutex*"
                        "LINKER:--export-dynamic-symbol=_ZN4absl7debian37CondVar*")
  endif()
  add_test(NAME ${name} COMMAND ${name})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 600)
  endif()
  set_tests_properties(${name} PROPERTIES LABELS "${T_LABELS}" TIMEOUT ${T_TIMEOUT}
                       ENVIRONMENT "BERTH_BUILD_DIR=${PROJECT_BINARY_DIR};BERTH_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
endfunction()
