// Tries every kind of change inside the directory named by argv[1], which the test grants with
// --ro-dir: each must fail, and reading must still work. One line per attempt.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

static char path_buf[2][1024];

static const char* in_dir(const char* dir, const char* name, int slot) {
    snprintf(path_buf[slot], sizeof path_buf[slot], "%s/%s", dir, name);
    return path_buf[slot];
}

static void report(const char* what, int failed) {
    printf("%s: %s\n", what, failed ? strerror(errno) : "DONE");
}

int main(int argc, char** argv) {
    if (argc != 2) return 2;
    const char* dir = argv[1];

    char text[64] = {0};
    int fd = open(in_dir(dir, "keep.txt", 0), O_RDONLY);
    ssize_t n = fd >= 0 ? read(fd, text, sizeof text - 1) : -1;
    printf("read keep.txt: %s\n", n > 0 ? text : strerror(errno));
    if (fd >= 0) close(fd);

    fd = open(in_dir(dir, "new.txt", 0), O_WRONLY | O_CREAT, 0644);
    report("create new.txt", fd < 0);
    if (fd >= 0) close(fd);
    fd = open(in_dir(dir, "keep.txt", 0), O_WRONLY | O_TRUNC);
    report("truncate keep.txt", fd < 0);
    if (fd >= 0) close(fd);
    fd = open(in_dir(dir, "keep.txt", 0), O_WRONLY);
    report("write keep.txt", fd < 0 || write(fd, "x", 1) != 1);
    if (fd >= 0) close(fd);
    fd = open(in_dir(dir, "keep.txt", 0), O_RDWR);
    report("ftruncate keep.txt", fd < 0 || ftruncate(fd, 0) != 0);
    if (fd >= 0) close(fd);
    report("unlink keep.txt", unlink(in_dir(dir, "keep.txt", 0)) != 0);
    report("rename keep.txt", rename(in_dir(dir, "keep.txt", 0), in_dir(dir, "moved.txt", 1)) != 0);
    report("link keep.txt", link(in_dir(dir, "keep.txt", 0), in_dir(dir, "hard.txt", 1)) != 0);
    report("symlink", symlink("keep.txt", in_dir(dir, "soft.txt", 0)) != 0);
    report("mkdir sub2", mkdir(in_dir(dir, "sub2", 0), 0755) != 0);
    report("rmdir sub", rmdir(in_dir(dir, "sub", 0)) != 0);
    struct timeval times[2] = {{1, 0}, {1, 0}};
    report("utimes keep.txt", utimes(in_dir(dir, "keep.txt", 0), times) != 0);
    return 0;
}
