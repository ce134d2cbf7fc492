/* A hash table with 64-bit keys: open addressing, linear probing, backward-shift deletion
 * (no tombstones). Each round inserts a batch of keys, looks up hits and misses, then deletes
 * half of this batch and the other half of the previous one, so the load stays at 37-56%. */
#include "bench.h"

#define CAPACITY_LOG2 17
#define CAPACITY (1u << CAPACITY_LOG2)
#define BATCH (CAPACITY / 8 * 3)
#define EMPTY_KEY 0 /* keys are never 0 (see make_key) */

struct slot {
    uint64_t key;
    uint64_t value;
};

static struct slot table[CAPACITY];
static uint32_t entry_count;

static uint32_t home_slot(uint64_t key) {
    return (uint32_t)((key * 0x9e3779b97f4a7c15ull) >> (64 - CAPACITY_LOG2));
}

/* Inserts or overwrites; the table never fills because rounds delete what they insert. */
static void map_put(uint64_t key, uint64_t value) {
    for (uint32_t i = home_slot(key);; i = (i + 1) & (CAPACITY - 1)) {
        if (table[i].key == key) {
            table[i].value = value;
            return;
        }
        if (table[i].key == EMPTY_KEY) {
            table[i].key = key;
            table[i].value = value;
            ++entry_count;
            return;
        }
    }
}

static struct slot* map_find(uint64_t key) {
    for (uint32_t i = home_slot(key);; i = (i + 1) & (CAPACITY - 1)) {
        if (table[i].key == key) return &table[i];
        if (table[i].key == EMPTY_KEY) return NULL;
    }
}

/* Removes key and shifts later members of its probe run back so lookups never need markers. */
static int map_remove(uint64_t key) {
    struct slot* found = map_find(key);
    if (!found) return 0;
    uint32_t hole = (uint32_t)(found - table);
    for (uint32_t i = (hole + 1) & (CAPACITY - 1);; i = (i + 1) & (CAPACITY - 1)) {
        if (table[i].key == EMPTY_KEY) break;
        uint32_t home = home_slot(table[i].key);
        /* Move entry i into the hole unless its home lies cyclically in (hole, i]. */
        if (((i - home) & (CAPACITY - 1)) >= ((i - hole) & (CAPACITY - 1))) {
            table[hole] = table[i];
            hole = i;
        }
    }
    table[hole].key = EMPTY_KEY;
    --entry_count;
    return 1;
}

static uint64_t make_key(uint64_t* seed) {
    return bench_next_random(seed) | 1;
}

int main(int argc, char** argv) {
    long rounds = bench_size(argc, argv, 60);
    uint64_t insert_seed = 3, previous_batch_seed = 0, checksum = BENCH_FNV1A_SEED;
    uint64_t hits = 0, removed = 0;
    for (long round = 0; round < rounds; ++round) {
        uint64_t batch_seed = insert_seed;
        for (uint32_t i = 0; i < BATCH; ++i)
            map_put(make_key(&insert_seed), round * BATCH + i);

        uint64_t lookup_seed = batch_seed, miss_seed = ~batch_seed;
        for (uint32_t i = 0; i < BATCH; ++i) {
            struct slot* hit = map_find(make_key(&lookup_seed));
            if (hit) {
                ++hits;
                checksum = bench_fnv1a(checksum, &hit->value, sizeof hit->value);
            }
            if (map_find(make_key(&miss_seed) & ~1ull)) ++hits; /* even keys: never present */
        }

        uint64_t remove_seed = batch_seed, previous_seed = previous_batch_seed;
        for (uint32_t i = 0; i < BATCH; ++i) {
            uint64_t key = make_key(&remove_seed), previous_key = make_key(&previous_seed);
            if (i % 2 == 0) removed += (uint64_t)map_remove(key);
            if (i % 2 == 1 && round > 0) removed += (uint64_t)map_remove(previous_key);
        }
        previous_batch_seed = batch_seed;
    }
    printf("hashmap: %ld rounds of %u keys, %u left, %llu hits, %llu removed, checksum %016llx\n",
           rounds, BATCH, entry_count, (unsigned long long)hits, (unsigned long long)removed,
           (unsigned long long)checksum);
    return 0;
}
