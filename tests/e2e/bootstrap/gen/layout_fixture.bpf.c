/* Types that lay out differently on the BPF target (LP64) and wasm32 (ILP32), for checking that
 * `wbpf gen types` and `wbpf gen skeleton` produce one layout for both. Never loaded. */
#define SEC(name) __attribute__((section(name), used))

struct inner {
    char c;
    long l;
};

union number {
    int i;
    long long ll;
    char bytes[3];
};

enum color { RED, GREEN = 5, BLUE = -1 };

typedef struct {
    short a;
    void* p;
} anon_t;

struct flags {
    unsigned a : 3;
    unsigned b : 7;
    int c;
    unsigned long d : 40;
    char e;
};

struct __attribute__((packed)) packed_record {
    char a;
    int b;
    long c;
};

struct tricky {
    char a;
    long b;
    void* ptr;
    struct inner in[2];
    union number un;
    enum color col;
    anon_t anon;
    struct {
        int x;
        char y;
    } nested;
    union {
        int ui;
        float uf;
    };
    struct flags fl;
    struct packed_record pr;
    unsigned long matrix[2][3];
    char last;
};

struct tricky g_tricky;
const volatile int cfg_value = 3;
long counter = 1;
const volatile struct inner cfg_inner = {1, 2};

SEC("tp/syscalls/sys_enter_getpid")
int layout_prog(void* ctx) {
    (void)ctx;
    return g_tricky.a + cfg_value + (int)counter + cfg_inner.c;
}

char LICENSE[] SEC("license") = "GPL";
