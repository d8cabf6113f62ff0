# Seccomp (linux.seccomp) and personality (linux.personality); included from
# src/runtime/CMakeLists.txt.
add_library(hutch_seccomp STATIC
  ${CMAKE_CURRENT_LIST_DIR}/seccomp.cc
  ${CMAKE_CURRENT_LIST_DIR}/seccomp_cache.cc
  ${CMAKE_CURRENT_LIST_DIR}/personality.cc)
target_link_libraries(hutch_seccomp PUBLIC hutch_oci hutch_dep_SECCOMP)

hutch_test(seccomp_test unit hutch_seccomp
  ${CMAKE_CURRENT_LIST_DIR}/seccomp_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/seccomp_cache_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/personality_test.cc)
