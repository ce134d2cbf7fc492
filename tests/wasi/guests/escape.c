// Tries to leave the directory argv[1] in every way we know. The harness prepares, inside it:
// up -> ..   abs -> /etc   deep -> sub/../..   loop1 <-> loop2   sub/   file.txt
// and next to it: ../outside/secret.txt. Each attempt prints "denied (ERRNO)" or "ESCAPED".
// Natively most succeed; under wbpf every one must be denied.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char* root;

static const char* err_name(int e) {
    switch (e) {
#ifdef ENOTCAPABLE
    case ENOTCAPABLE: return "ENOTCAPABLE";
#endif
    case EPERM: return "EPERM";
    case ELOOP: return "ELOOP";
    case ENOENT: return "ENOENT";
    case EACCES: return "EACCES";
    case EXDEV: return "EXDEV";
    case ENOTDIR: return "ENOTDIR";
    default: return "other";
    }
}

static const char* in(const char* rel, char* buf) {
    snprintf(buf, 1024, "%s/%s", root, rel);
    return buf;
}

static void verdict(const char* what, int ok) {
    if (ok)
        printf("%s: ESCAPED\n", what);
    else
        printf("%s: denied (%s)\n", what, err_name(errno));
}

static void try_open(const char* what, const char* path, int flags) {
    errno = 0;
    int fd = open(path, flags, 0644);
    verdict(what, fd >= 0);
    if (fd >= 0) close(fd);
}

int main(int argc, char** argv) {
    if (argc < 2) return 2;
    root = argv[1];
    char p[1024], q[1024];
    struct stat st;

    try_open("dotdot", in("../outside/secret.txt", p), O_RDONLY);
    try_open("dotdot deep", in("sub/../../outside/secret.txt", p), O_RDONLY);
    try_open("absolute", "/etc/passwd", O_RDONLY);
    try_open("proc self root", "/proc/self/root/etc/passwd", O_RDONLY);
    try_open("symlink to parent", in("up/outside/secret.txt", p), O_RDONLY);
    try_open("absolute symlink", in("abs/passwd", p), O_RDONLY);
    try_open("relative symlink out", in("deep/outside/secret.txt", p), O_RDONLY);
    try_open("create through symlink", in("up/outside/created.txt", p), O_CREAT | O_WRONLY);
    try_open("symlink loop", in("loop1", p), O_RDONLY);
    errno = 0;
    verdict("stat parent", stat(in("..", p), &st) == 0);
    errno = 0;
    verdict("stat through symlink", stat(in("abs/passwd", p), &st) == 0);
    errno = 0;
    DIR* d = opendir(in("up", p));
    verdict("opendir symlink to parent", d != NULL);
    if (d) closedir(d);
    errno = 0;
    verdict("rename out", rename(in("file.txt", p), in("../outside/stolen.txt", q)) == 0);
    errno = 0;
    verdict("hard link out", link(in("abs/passwd", p), in("passwd-copy", q)) == 0);
    errno = 0;
    verdict("mkdir out", mkdir(in("up/outside/newdir", p), 0755) == 0);
    errno = 0;
    verdict("unlink out", unlink(in("up/outside/secret.txt", p)) == 0);
    errno = 0;
    int made = symlink("/etc/passwd", in("planted", p)) == 0;
    verdict("plant absolute symlink", made);
    if (made) unlink(in("planted", p));
    errno = 0;
    char target[256];
    verdict("readlink through symlink",
            readlink(in("up/outside/secret.txt", p), target, sizeof target) >= 0);
    return 0;
}
