/* f64 physics: an N-body gravity simulation (all pairs, symplectic Euler steps) over a
 * generated system of bodies; prints the total energy before and after. */
#include "bench.h"

#include <math.h>

#define BODY_COUNT 12
#define TIME_STEP 0.001

struct body {
    double x, y, z, vx, vy, vz, mass;
};

/* A double in [low, high) from the generator's top 53 bits: exact and identical everywhere. */
static double random_double(uint64_t* seed, double low, double high) {
    return low + (high - low) * ((double)(bench_next_random(seed) >> 11) * 0x1p-53);
}

static void advance(struct body* bodies, int count, double dt) {
    for (int i = 0; i < count; ++i) {
        struct body* a = &bodies[i];
        for (int j = i + 1; j < count; ++j) {
            struct body* b = &bodies[j];
            double dx = a->x - b->x, dy = a->y - b->y, dz = a->z - b->z;
            double distance_squared = dx * dx + dy * dy + dz * dz + 0.01; /* softened */
            double distance = sqrt(distance_squared);
            double magnitude = dt / (distance_squared * distance);
            a->vx -= dx * b->mass * magnitude;
            a->vy -= dy * b->mass * magnitude;
            a->vz -= dz * b->mass * magnitude;
            b->vx += dx * a->mass * magnitude;
            b->vy += dy * a->mass * magnitude;
            b->vz += dz * a->mass * magnitude;
        }
    }
    for (int i = 0; i < count; ++i) {
        bodies[i].x += dt * bodies[i].vx;
        bodies[i].y += dt * bodies[i].vy;
        bodies[i].z += dt * bodies[i].vz;
    }
}

static double energy(const struct body* bodies, int count) {
    double total = 0.0;
    for (int i = 0; i < count; ++i) {
        const struct body* a = &bodies[i];
        total += 0.5 * a->mass * (a->vx * a->vx + a->vy * a->vy + a->vz * a->vz);
        for (int j = i + 1; j < count; ++j) {
            const struct body* b = &bodies[j];
            double dx = a->x - b->x, dy = a->y - b->y, dz = a->z - b->z;
            total -= a->mass * b->mass / sqrt(dx * dx + dy * dy + dz * dz + 0.01);
        }
    }
    return total;
}

int main(int argc, char** argv) {
    long steps = bench_size(argc, argv, 700000);
    struct body bodies[BODY_COUNT];
    uint64_t seed = 42;
    for (int i = 0; i < BODY_COUNT; ++i) {
        bodies[i].x = random_double(&seed, -10.0, 10.0);
        bodies[i].y = random_double(&seed, -10.0, 10.0);
        bodies[i].z = random_double(&seed, -1.0, 1.0);
        bodies[i].vx = random_double(&seed, -0.5, 0.5);
        bodies[i].vy = random_double(&seed, -0.5, 0.5);
        bodies[i].vz = random_double(&seed, -0.05, 0.05);
        bodies[i].mass = random_double(&seed, 0.1, 2.0);
    }
    printf("nbody: %d bodies, %ld steps\n", BODY_COUNT, steps);
    printf("energy before %.12f\n", energy(bodies, BODY_COUNT));
    for (long step = 0; step < steps; ++step)
        advance(bodies, BODY_COUNT, TIME_STEP);
    printf("energy after  %.12f\n", energy(bodies, BODY_COUNT));
    return 0;
}
