/* Compiles a generated skeleton for wasm32 and touches its datasec structs and SDK calls. */
#include "layout_fixture.skel.h"

int main(void) {
    struct layout_fixture_bpf* skel = layout_fixture_bpf__open();
    if (!skel) return 1;
    skel->rodata->cfg_value = 7;
    skel->bss->g_tricky.b = 1;
    skel->data->counter = 2;
    bpf_program__set_autoload(skel->progs.layout_prog, false);
    int err = layout_fixture_bpf__load(skel);
    if (!err) err = wbpf_map__pull_datasec(skel->maps.bss);
    layout_fixture_bpf__destroy(skel);
    return err ? 1 : 0;
}
