// The pseudo file systems libbpf needs to attach tracing programs: tracefs (tracepoint ids,
// legacy uprobe events) and debugfs. Minimal containers often have neither mounted.
#pragma once

namespace wbpf::bpf {

/// Mounts tracefs at /sys/kernel/tracing and debugfs at /sys/kernel/debug if they are not
/// mounted there yet. Best effort: failures are reported on stderr only when `verbose`, since
/// the later attach reports the real problem. Must run before libbpf first looks for tracefs
/// (libbpf caches which of the two paths it uses).
void ensure_tracing_filesystems(bool verbose);

} // namespace wbpf::bpf
