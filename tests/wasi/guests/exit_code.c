// Exits with the status given as argv[1] (through exit(), so WASI proc_exit), or returns 0.
#include <stdlib.h>

int main(int argc, char** argv) {
    if (argc > 1) exit(atoi(argv[1]));
    return 0;
}
