// The ABI returns Linux errno values (the host's), which differ from WASI libc's <errno.h>.
#ifndef LINUX_ERRNO_H
#define LINUX_ERRNO_H

#define LX_ENOENT 2
#define LX_EINTR 4
#define LX_EBADF 9
#define LX_EFAULT 14
#define LX_EBUSY 16
#define LX_ENODEV 19
#define LX_EINVAL 22
#define LX_EOPNOTSUPP 95

#endif
