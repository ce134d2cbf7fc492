// Every file operation, inside the directory named by argv[1] (a preopen in the wasm run).
// Prints only deterministic results; lines starting "wasi:" exist only in the wasm build.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#ifdef __wasi__
#include <wasi/api.h>
#endif

static const char* root;
static char path_buf[4][1024];
static int path_next;

static const char* P(const char* name) {
    char* p = path_buf[path_next++ % 4];
    snprintf(p, sizeof path_buf[0], "%s/%s", root, name);
    return p;
}

static const char* err_name(int e) {
    switch (e) {
    case 0: return "OK";
    case ENOENT: return "ENOENT";
    case EEXIST: return "EEXIST";
    case EISDIR: return "EISDIR";
    case ENOTDIR: return "ENOTDIR";
    case ENOTEMPTY: return "ENOTEMPTY";
    case EBADF: return "EBADF";
    case EINVAL: return "EINVAL";
    case ELOOP: return "ELOOP";
    case EACCES: return "EACCES";
    case EPERM: return "EPERM";
    case ESPIPE: return "ESPIPE";
#ifdef ENOTCAPABLE
    case ENOTCAPABLE: return "ENOTCAPABLE";
#endif
    default: return "E?";
    }
}

/// Prints "what: OK" or "what: ENAME" for a call returning 0/-1.
static void result(const char* what, int rc) {
    printf("%s: %s\n", what, rc == 0 ? "OK" : err_name(errno));
}

static int compare(const void* a, const void* b) {
    return strcmp(*(char* const*)a, *(char* const*)b);
}

static void list(const char* dir) {
    DIR* d = opendir(dir);
    if (!d) {
        printf("opendir: %s\n", err_name(errno));
        return;
    }
    char* names[64];
    int n = 0;
    struct dirent* e;
    while ((e = readdir(d)) && n < 64) {
        char* s = malloc(strlen(e->d_name) + 8);
        const char* t = e->d_type == DT_DIR   ? "dir"
                        : e->d_type == DT_REG ? "file"
                        : e->d_type == DT_LNK ? "link"
                                              : "other";
        sprintf(s, "%s %s", e->d_name, t);
        names[n++] = s;
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof *names, compare);
    printf("listing of %s:", strrchr(dir, '/') + 1);
    for (int i = 0; i < n; ++i) {
        printf(" [%s]", names[i]);
        free(names[i]);
    }
    printf("\n");
}

int main(int argc, char** argv) {
    if (argc < 2) return 2;
    root = argv[1];
    char buf[256];
    struct stat st;

    result("mkdir d", mkdir(P("d"), 0755));
    result("mkdir d/sub", mkdir(P("d/sub"), 0755));
    result("mkdir d again", mkdir(P("d"), 0755));

    int fd = open(P("d/f.txt"), O_CREAT | O_RDWR | O_TRUNC, 0644);
    printf("open create: %s\n", fd >= 0 ? "OK" : err_name(errno));
    printf("write: %zd\n", write(fd, "hello world\n", 12));
    printf("tell: %lld\n", (long long)lseek(fd, 0, SEEK_CUR));
    printf("pwrite: %zd\n", pwrite(fd, "HELLO", 5, 0));
    memset(buf, 0, sizeof buf);
    printf("pread: %zd [%s]\n", pread(fd, buf, 5, 6), buf);
    printf("seek set: %lld\n", (long long)lseek(fd, 0, SEEK_SET));
    memset(buf, 0, sizeof buf);
    printf("read: %zd [%s]\n", read(fd, buf, sizeof buf - 1), buf);
    printf("seek end: %lld\n", (long long)lseek(fd, -3, SEEK_END));
    printf("seek bad whence: %s\n", lseek(fd, 0, 42) < 0 ? err_name(errno) : "OK");

    char a[] = "ab", b[] = "cd", c[4] = {0}, d2[4] = {0};
    struct iovec wv[2] = {{a, 2}, {b, 2}};
    lseek(fd, 0, SEEK_END);
    printf("writev: %zd\n", writev(fd, wv, 2));
    lseek(fd, -4, SEEK_END);
    struct iovec rv[2] = {{c, 2}, {d2, 2}};
    printf("readv: %zd [%s][%s]\n", readv(fd, rv, 2), c, d2);

    fstat(fd, &st);
    printf("fstat: size=%lld reg=%d nlink=%d\n", (long long)st.st_size, S_ISREG(st.st_mode),
           (int)st.st_nlink);
    result("ftruncate 5", ftruncate(fd, 5));
    fstat(fd, &st);
    printf("size after truncate: %lld\n", (long long)st.st_size);
    printf("posix_fallocate: %s\n", err_name(posix_fallocate(fd, 0, 100)));
    fstat(fd, &st);
    printf("size after fallocate: %lld\n", (long long)st.st_size);
    printf("posix_fadvise: %s\n", err_name(posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL)));
    result("fsync", fsync(fd));
    result("fdatasync", fdatasync(fd));

    struct timespec times[2] = {{1000, 0}, {2000, 0}};
    result("futimens", futimens(fd, times));
    fstat(fd, &st);
    printf("times: atime=%lld mtime=%lld\n", (long long)st.st_atime, (long long)st.st_mtime);
    struct timespec times2[2] = {{3000, 0}, {4000, 500}};
    result("utimensat", utimensat(AT_FDCWD, P("d/f.txt"), times2, 0));
    stat(P("d/f.txt"), &st);
    printf("times: atime=%lld mtime=%lld.%09ld\n", (long long)st.st_atime, (long long)st.st_mtime,
           st.st_mtim.tv_nsec);

    int fl = fcntl(fd, F_GETFL);
    printf("append before: %d\n", (fl & O_APPEND) != 0);
    result("set append", fcntl(fd, F_SETFL, fl | O_APPEND));
    printf("append after: %d\n", (fcntl(fd, F_GETFL) & O_APPEND) != 0);
    lseek(fd, 0, SEEK_SET);
    printf("append write: %zd\n", write(fd, "X", 1));
    fstat(fd, &st);
    printf("size after append: %lld\n", (long long)st.st_size);

    // A big transfer, written and read back.
    size_t big = 1 << 20;
    char* data = malloc(big);
    for (size_t i = 0; i < big; ++i)
        data[i] = (char)(i * 7 + 3);
    int fd2 = open(P("d/big.bin"), O_CREAT | O_WRONLY | O_TRUNC, 0644);
    size_t done = 0;
    while (done < big)
        done += (size_t)write(fd2, data + done, big - done);
    close(fd2);
    fd2 = open(P("d/big.bin"), O_RDONLY);
    unsigned sum = 0; // 32 bits on both sides
    ssize_t got;
    while ((got = read(fd2, buf, sizeof buf)) > 0)
        for (ssize_t i = 0; i < got; ++i)
            sum = sum * 31 + (unsigned char)buf[i];
    printf("big file checksum: %u\n", sum);
    printf("write to read-only fd: %s\n", write(fd2, "x", 1) < 0 ? "failed" : "OK");
    close(fd2);
    free(data);
    result("unlink big", unlink(P("d/big.bin")));

#ifdef __wasi__
    // fd_renumber and fd_fdstat_set_rights have no libc wrapper.
    int fd3 = open(P("d/f.txt"), O_RDWR);
    printf("wasi: renumber: %d\n", __wasi_fd_renumber((__wasi_fd_t)fd3, (__wasi_fd_t)fd));
    printf("wasi: renumber closed: %d\n", __wasi_fd_renumber((__wasi_fd_t)fd3, 200));
    __wasi_fdstat_t fs;
    printf("wasi: fdstat: %d\n", __wasi_fd_fdstat_get((__wasi_fd_t)fd, &fs));
    printf("wasi: drop write right: %d\n",
           __wasi_fd_fdstat_set_rights((__wasi_fd_t)fd, fs.fs_rights_base & ~__WASI_RIGHTS_FD_WRITE,
                                       0));
    printf("wasi: regain write right: %d\n",
           __wasi_fd_fdstat_set_rights((__wasi_fd_t)fd, fs.fs_rights_base, 0));
    errno = 0;
    printf("wasi: write without right: %zd %s\n", write(fd, "z", 1), err_name(errno));
    printf("wasi: fdstat bad fd: %d\n", __wasi_fd_fdstat_get(999, &fs));
#endif
    result("close", close(fd));
    printf("close again: %s\n", close(fd) == 0 ? "OK" : err_name(errno));

    FILE* f = fopen(P("d/stdio.txt"), "w+");
    fprintf(f, "line %d\n", 42);
    printf("ftell: %ld\n", ftell(f));
    rewind(f);
    memset(buf, 0, sizeof buf);
    printf("fgets: %s", fgets(buf, sizeof buf, f));
    fclose(f);

    result("symlink", symlink("f.txt", P("d/link")));
    memset(buf, 0, sizeof buf);
    printf("readlink: %zd [%s]\n", readlink(P("d/link"), buf, sizeof buf), buf);
    memset(buf, 0, sizeof buf);
    printf("readlink short: %zd [%s]\n", readlink(P("d/link"), buf, 2), buf);
    printf("readlink not a link: %s\n",
           readlink(P("d/f.txt"), buf, sizeof buf) < 0 ? err_name(errno) : "OK");
    lstat(P("d/link"), &st);
    printf("lstat link: islnk=%d\n", S_ISLNK(st.st_mode));
    stat(P("d/link"), &st);
    printf("stat link: isreg=%d size=%lld\n", S_ISREG(st.st_mode), (long long)st.st_size);
    struct timespec ltimes[2] = {{5000, 0}, {6000, 0}};
    result("utimensat nofollow", utimensat(AT_FDCWD, P("d/link"), ltimes, AT_SYMLINK_NOFOLLOW));
    lstat(P("d/link"), &st);
    printf("link mtime: %lld\n", (long long)st.st_mtime);
    stat(P("d/f.txt"), &st);
    printf("target mtime unchanged: %d\n", st.st_mtime != 6000);
    int fd4 = open(P("d/link"), O_RDONLY | O_NOFOLLOW);
    printf("open link nofollow: %s\n", fd4 >= 0 ? "OK" : err_name(errno));
    if (fd4 >= 0) close(fd4);

    result("link", link(P("d/f.txt"), P("d/hard")));
    stat(P("d/f.txt"), &st);
    printf("nlink: %d\n", (int)st.st_nlink);
    result("rename", rename(P("d/hard"), P("d/sub/moved")));
    printf("renamed exists: %d\n", access(P("d/sub/moved"), F_OK) == 0);
    list(P("d"));
    list(P("d/sub"));
    result("unlink moved", unlink(P("d/sub/moved")));
    stat(P("d/f.txt"), &st);
    printf("nlink: %d\n", (int)st.st_nlink);

    int dfd = open(P("d"), O_RDONLY | O_DIRECTORY);
    printf("read dir fd: %s\n", read(dfd, buf, 1) < 0 ? err_name(errno) : "OK");
    close(dfd);
    stat(P("d"), &st);
    printf("stat dir: isdir=%d\n", S_ISDIR(st.st_mode));
    stat(P("d/sub/.."), &st);
    printf("stat d/sub/..: isdir=%d\n", S_ISDIR(st.st_mode));

    printf("open missing: %s\n", open(P("d/missing"), O_RDONLY) < 0 ? err_name(errno) : "OK");
    printf("open excl existing: %s\n",
           open(P("d/f.txt"), O_CREAT | O_EXCL | O_WRONLY, 0644) < 0 ? err_name(errno) : "OK");
    printf("open file as dir: %s\n",
           open(P("d/f.txt"), O_RDONLY | O_DIRECTORY) < 0 ? err_name(errno) : "OK");
    result("unlink dir", unlink(P("d/sub")));
    result("rmdir file", rmdir(P("d/f.txt")));
    result("rmdir nonempty", rmdir(P("d")));
    result("rmdir sub", rmdir(P("d/sub")));
    result("unlink link", unlink(P("d/link")));
    result("unlink f", unlink(P("d/f.txt")));
    result("unlink stdio", unlink(P("d/stdio.txt")));
    result("rmdir d", rmdir(P("d")));
    list(root);
    return 0;
}
