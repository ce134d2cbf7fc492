# The shared event header must match what `wbpf gen types` derives from the object's BTF: the
# generated header's _Static_asserts are checked by the wasm32 compiler.
set(bootstrap_out ${CMAKE_CURRENT_BINARY_DIR}/bootstrap)
add_custom_command(
  OUTPUT ${bootstrap_out}/bootstrap.types.checked
  COMMAND wbpf-gen types ${WBPF_EXAMPLE_bootstrap_BPF_OBJECT} --type event
          -o ${bootstrap_out}/bootstrap.types.h
  COMMAND ${WBPF_CLANG} --target=wasm32-wasi --sysroot=/usr -fsyntax-only -Wall -Werror
          -include ${bootstrap_out}/bootstrap.types.h -x c /dev/null
  COMMAND ${CMAKE_COMMAND} -E touch ${bootstrap_out}/bootstrap.types.checked
  DEPENDS wbpf-gen ${WBPF_EXAMPLE_bootstrap_BPF_OBJECT}
  COMMENT "Checking bootstrap's event layout with wbpf-gen types"
  VERBATIM)
add_custom_target(example_bootstrap_types ALL DEPENDS ${bootstrap_out}/bootstrap.types.checked)
