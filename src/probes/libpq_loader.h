// libpq loaded on first use: this library defines the PQ* functions the PostgreSQL probe
// calls and forwards them to libpq.so.5, opened with dlopen() the first time it is asked
// for. So the addon has no NEEDED entry on libpq, loads on a machine without it, and only
// the PostgreSQL probe fails (with the dlopen message) where libpq is absent.
#ifndef OMNIDB_PROBES_LIBPQ_LOADER_H_
#define OMNIDB_PROBES_LIBPQ_LOADER_H_

namespace omnidb {

// Opens libpq.so.5 and resolves every function the probe needs, once per process
// (thread-safe). Returns nullptr when libpq is usable, else why it is not (dlopen's or
// dlsym's message); the answer never changes afterwards. The table is process-wide but
// written once and only read after, so every worker thread's addon instance shares it.
const char* LoadLibpq();

}  // namespace omnidb

#endif  // OMNIDB_PROBES_LIBPQ_LOADER_H_
