// Imports a function no host module provides: wbpf must refuse to link it.
__attribute__((import_module("env"), import_name("does_not_exist"))) int does_not_exist(int);

int main(int argc, char** argv) {
    (void)argv;
    return does_not_exist(argc);
}
