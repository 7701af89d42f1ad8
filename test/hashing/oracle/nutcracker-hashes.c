/*
 * Asks the installed nutcracker binary itself for hash values. nutcracker exports its hash
 * functions (hash_md5, hash_fnv1a_64, ...) as dynamic symbols, so this shared object, loaded
 * with LD_PRELOAD, looks them up in the running executable before its main() starts, hashes
 * every key read from stdin (one hex-encoded key per line; an empty line is the empty key) and
 * prints one line per key: the 12 values in nutcracker.yml's enum order, then exits.
 * With NUTCRACKER_HASH_BENCH=<rounds> in the environment it instead hashes all the keys <rounds>
 * times with each function and prints one line per function: keys hashed per second.
 *
 *   cc -shared -fPIC -o nutcracker-hashes.so nutcracker-hashes.c -ldl
 *   LD_PRELOAD=./nutcracker-hashes.so nutcracker -V < keys.hex
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef uint32_t (*hash_fn)(const char *key, size_t length);

static const char *names[] = {
    "hash_one_at_a_time", "hash_md5", "hash_crc16", "hash_crc32", "hash_crc32a", "hash_fnv1_64",
    "hash_fnv1a_64", "hash_fnv1_32", "hash_fnv1a_32", "hash_hsieh", "hash_murmur", "hash_jenkins",
};

static int hex_value(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

__attribute__((constructor)) static void hash_stdin(void) {
    hash_fn fns[12];
    for (int i = 0; i < 12; i++) {
        fns[i] = (hash_fn)dlsym(RTLD_DEFAULT, names[i]);
        if (fns[i] == NULL) {
            fprintf(stderr, "symbol %s not found\n", names[i]);
            _exit(2);
        }
    }
    static char line[65536];
    static char keys[1 << 24];
    static size_t offsets[1 << 20];
    size_t nkeys = 0, used = 0;
    offsets[0] = 0;
    while (fgets(line, sizeof(line), stdin) != NULL && nkeys + 1 < sizeof(offsets) / sizeof(offsets[0])) {
        size_t hex_length = strcspn(line, "\r\n");
        for (size_t i = 0; i + 1 < hex_length && used < sizeof(keys); i += 2) {
            int high = hex_value(line[i]), low = hex_value(line[i + 1]);
            if (high < 0 || low < 0) _exit(3);
            keys[used++] = (char)(high * 16 + low);
        }
        offsets[++nkeys] = used;
    }
    const char *bench = getenv("NUTCRACKER_HASH_BENCH");
    if (bench == NULL) {
        for (size_t k = 0; k < nkeys; k++) {
            for (int i = 0; i < 12; i++) printf(i == 0 ? "%u" : " %u", fns[i](keys + offsets[k], offsets[k + 1] - offsets[k]));
            printf("\n");
        }
    } else {
        long rounds = atol(bench);
        for (int i = 0; i < 12; i++) {
            struct timespec start, end;
            volatile uint32_t sink = 0;
            clock_gettime(CLOCK_MONOTONIC, &start);
            for (long r = 0; r < rounds; r++) {
                for (size_t k = 0; k < nkeys; k++) sink += fns[i](keys + offsets[k], offsets[k + 1] - offsets[k]);
            }
            clock_gettime(CLOCK_MONOTONIC, &end);
            double seconds = (double)(end.tv_sec - start.tv_sec) + (double)(end.tv_nsec - start.tv_nsec) / 1e9;
            printf("%s %.0f\n", names[i] + 5, (double)nkeys * (double)rounds / seconds);
        }
    }
    fflush(stdout);
    _exit(0);
}
