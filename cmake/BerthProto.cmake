# berth_add_proto_library(NAME PROTOS <files relative to proto/> [GRPC])
# -> static library berth_NAME (alias berth::NAME) built from the protoc output of PROTOS
#    (and the grpc_cpp_plugin output when GRPC is given).
#
# Generated code is a build product: it goes to <build>/proto/gen, which is added as a
# PUBLIC SYSTEM include dir, so users write
#   #include "k8s.io/cri-api/runtime/v1/api.grpc.pb.h"
# and our -W flags do not fire on protoc's code.
# Must be called from proto/CMakeLists.txt: protobuf_generate() uses the calling directory
# as the proto import root, which has to be proto/ for the include paths above.
include_guard(GLOBAL)

function(berth_add_proto_library name)
  cmake_parse_arguments(P "GRPC" "" "PROTOS" ${ARGN})
  if(NOT P_PROTOS)
    message(FATAL_ERROR "berth_add_proto_library(${name}): PROTOS is empty")
  endif()
  set(proto_root ${PROJECT_SOURCE_DIR}/proto)
  if(NOT CMAKE_CURRENT_SOURCE_DIR STREQUAL proto_root)
    message(FATAL_ERROR "berth_add_proto_library must be called from ${proto_root}")
  endif()
  set(gen_dir ${CMAKE_CURRENT_BINARY_DIR}/gen)
  file(MAKE_DIRECTORY ${gen_dir})

  set(abs_protos)
  foreach(p IN LISTS P_PROTOS)
    list(APPEND abs_protos ${proto_root}/${p})
  endforeach()

  protobuf_generate(LANGUAGE cpp
                    PROTOS ${abs_protos}
                    IMPORT_DIRS ${proto_root}
                    PROTOC_OUT_DIR ${gen_dir}
                    OUT_VAR cpp_srcs)
  set(grpc_srcs)
  if(P_GRPC)
    protobuf_generate(LANGUAGE grpc
                      GENERATE_EXTENSIONS .grpc.pb.h .grpc.pb.cc
                      PLUGIN protoc-gen-grpc=$<TARGET_FILE:gRPC::grpc_cpp_plugin>
                      PROTOS ${abs_protos}
                      IMPORT_DIRS ${proto_root}
                      PROTOC_OUT_DIR ${gen_dir}
                      OUT_VAR grpc_srcs)
  endif()

  add_library(berth_${name} STATIC ${cpp_srcs} ${grpc_srcs})
  add_library(berth::${name} ALIAS berth_${name})
  target_include_directories(berth_${name} SYSTEM PUBLIC $<BUILD_INTERFACE:${gen_dir}>)
  target_link_libraries(berth_${name} PUBLIC protobuf::libprotobuf)
  if(P_GRPC)
    target_link_libraries(berth_${name} PUBLIC gRPC::grpc++)
  endif()
endfunction()
