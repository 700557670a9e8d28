// See libpq_loader.h. Each PQ* function below has libpq's own signature (the declarations
// come from libpq-fe.h, so a mismatch does not compile) and calls through a pointer that
// LoadLibpq() fills from dlsym(). The definitions are hidden (-fvisibility=hidden, and
// --exclude-libs in the addon), so they never interpose on another copy of libpq.
#include "libpq_loader.h"

#include <dlfcn.h>
#include <libpq-fe.h>

#include <mutex>
#include <string>

// Every libpq function src/pg_probe.cc calls; add one here when the probe calls a new one.
#define OMNIDB_LIBPQ_FUNCTIONS(X) \
  X(PQclear)                      \
  X(PQconnectPoll)                \
  X(PQconnectStartParams)         \
  X(PQconsumeInput)               \
  X(PQerrorMessage)               \
  X(PQfinish)                     \
  X(PQflush)                      \
  X(PQfreemem)                    \
  X(PQgetResult)                  \
  X(PQgetisnull)                  \
  X(PQgetvalue)                   \
  X(PQisBusy)                     \
  X(PQnfields)                    \
  X(PQnotifies)                   \
  X(PQntuples)                    \
  X(PQresStatus)                  \
  X(PQresultErrorMessage)         \
  X(PQresultStatus)               \
  X(PQsendQuery)                  \
  X(PQsetNoticeProcessor)         \
  X(PQsetnonblocking)             \
  X(PQsocket)                     \
  X(PQsslAttribute)               \
  X(PQsslInUse)                   \
  X(PQstatus)

namespace {

// The SONAME Debian's libpq5 (and every libpq since PostgreSQL 8.2) installs.
constexpr const char* kLibpqSoname = "libpq.so.5";

struct Libpq {
// NOLINTNEXTLINE(bugprone-macro-parentheses): `name` is a declarator here; it cannot be parenthesised.
#define OMNIDB_LIBPQ_SLOT(name) decltype(&::name) name = nullptr;
  OMNIDB_LIBPQ_FUNCTIONS(OMNIDB_LIBPQ_SLOT)
#undef OMNIDB_LIBPQ_SLOT
  std::string error;  // empty when every slot is filled
  // OpenSSL's ERR_clear_error, from the copy libpq's SSL_* calls bind to (Node's, found
  // in the global scope); nullptr where there is none (a test binary without OpenSSL).
  void (*err_clear_error)() = nullptr;

  // libpq leaves OpenSSL's thread-local error queue as it found it after a failed
  // handshake or a TLS read/write (e.g. "SSL_shutdown: shutdown while in init"), and
  // Node's own TLS code on this thread reads that queue as its own error: every libpq
  // call that may do TLS I/O is followed by this.
  void ClearSslErrors() const {
    if (err_clear_error != nullptr) err_clear_error();
  }
};

const Libpq& Get() {
  static Libpq lib;
  static std::once_flag once;
  std::call_once(once, [] {
    // RTLD_LOCAL: libpq's symbols stay out of the global scope (no clash with anything else).
    void* handle = dlopen(kLibpqSoname, RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
      const char* why = dlerror();
      lib.error = why != nullptr ? why : std::string(kLibpqSoname) + ": cannot be loaded";
      return;
    }
#define OMNIDB_LIBPQ_RESOLVE(name)                                                  \
  if (lib.error.empty()) {                                                          \
    lib.name = reinterpret_cast<decltype(&::name)>(dlsym(handle, #name));           \
    if (lib.name == nullptr) lib.error = std::string(kLibpqSoname) + ": no " #name; \
  }
    OMNIDB_LIBPQ_FUNCTIONS(OMNIDB_LIBPQ_RESOLVE)
#undef OMNIDB_LIBPQ_RESOLVE
    lib.err_clear_error = reinterpret_cast<void (*)()>(dlsym(RTLD_DEFAULT, "ERR_clear_error"));
    // The handle stays open for the life of the process: connections may outlive any owner.
  });
  return lib;
}

// All or nothing: a half-resolved table is treated as no libpq at all.
const Libpq* Usable() {
  const Libpq& lib = Get();
  return lib.error.empty() ? &lib : nullptr;
}

}  // namespace

namespace omnidb {

const char* LoadLibpq() {
  const Libpq& lib = Get();
  return lib.error.empty() ? nullptr : lib.error.c_str();
}

}  // namespace omnidb

// ---- the forwarders. Without libpq, PQconnectStartParams returns nullptr (libpq's own
// out-of-memory answer) and nothing else is reached: every other call needs a PGconn or
// a PGresult first. The remaining fallbacks only keep the functions total.
#define OMNIDB_LIBPQ_FORWARD(ret, name, params, args, fallback) \
  ret name params {                                             \
    const Libpq* lib = Usable();                                \
    if (lib == nullptr) return fallback;                        \
    return lib->name args;                                      \
  }
#define OMNIDB_LIBPQ_FORWARD_VOID(name, params, args) \
  void name params {                                  \
    const Libpq* lib = Usable();                      \
    if (lib != nullptr) lib->name args;               \
  }
// The calls that may do TLS I/O: OpenSSL's error queue is cleared after them (Libpq::ClearSslErrors).
#define OMNIDB_LIBPQ_FORWARD_IO(ret, name, params, args, fallback) \
  ret name params {                                                \
    const Libpq* lib = Usable();                                   \
    if (lib == nullptr) return fallback;                           \
    ret result = lib->name args;                                   \
    lib->ClearSslErrors();                                         \
    return result;                                                 \
  }

OMNIDB_LIBPQ_FORWARD_VOID(PQclear, (PGresult * res), (res))
OMNIDB_LIBPQ_FORWARD_IO(PostgresPollingStatusType, PQconnectPoll, (PGconn * conn), (conn),
                        PGRES_POLLING_FAILED)
OMNIDB_LIBPQ_FORWARD_IO(PGconn*, PQconnectStartParams,
                        (const char* const* keywords, const char* const* values, int expand_dbname),
                        (keywords, values, expand_dbname), nullptr)
OMNIDB_LIBPQ_FORWARD_IO(int, PQconsumeInput, (PGconn * conn), (conn), 0)
OMNIDB_LIBPQ_FORWARD(char*, PQerrorMessage, (const PGconn* conn), (conn),
                     const_cast<char*>("libpq is not loaded"))
void PQfinish(PGconn* conn) {
  const Libpq* lib = Usable();
  if (lib == nullptr) return;
  lib->PQfinish(conn);  // may send a TLS close_notify
  lib->ClearSslErrors();
}
OMNIDB_LIBPQ_FORWARD_IO(int, PQflush, (PGconn * conn), (conn), -1)
OMNIDB_LIBPQ_FORWARD_VOID(PQfreemem, (void* ptr), (ptr))
OMNIDB_LIBPQ_FORWARD_IO(PGresult*, PQgetResult, (PGconn * conn), (conn), nullptr)
OMNIDB_LIBPQ_FORWARD(int, PQgetisnull, (const PGresult* res, int tup, int field), (res, tup, field), 1)
OMNIDB_LIBPQ_FORWARD(char*, PQgetvalue, (const PGresult* res, int tup, int field), (res, tup, field),
                     const_cast<char*>(""))
OMNIDB_LIBPQ_FORWARD(int, PQisBusy, (PGconn * conn), (conn), 0)
OMNIDB_LIBPQ_FORWARD(int, PQnfields, (const PGresult* res), (res), 0)
OMNIDB_LIBPQ_FORWARD(PGnotify*, PQnotifies, (PGconn * conn), (conn), nullptr)
OMNIDB_LIBPQ_FORWARD(int, PQntuples, (const PGresult* res), (res), 0)
OMNIDB_LIBPQ_FORWARD(char*, PQresStatus, (ExecStatusType status), (status), const_cast<char*>(""))
OMNIDB_LIBPQ_FORWARD(char*, PQresultErrorMessage, (const PGresult* res), (res), const_cast<char*>(""))
OMNIDB_LIBPQ_FORWARD(ExecStatusType, PQresultStatus, (const PGresult* res), (res), PGRES_FATAL_ERROR)
OMNIDB_LIBPQ_FORWARD_IO(int, PQsendQuery, (PGconn * conn, const char* query), (conn, query), 0)
OMNIDB_LIBPQ_FORWARD(PQnoticeProcessor, PQsetNoticeProcessor,
                     (PGconn * conn, PQnoticeProcessor proc, void* arg), (conn, proc, arg), nullptr)
OMNIDB_LIBPQ_FORWARD(int, PQsetnonblocking, (PGconn * conn, int arg), (conn, arg), -1)
OMNIDB_LIBPQ_FORWARD(int, PQsocket, (const PGconn* conn), (conn), -1)
OMNIDB_LIBPQ_FORWARD(const char*, PQsslAttribute, (PGconn * conn, const char* attribute_name),
                     (conn, attribute_name), nullptr)
OMNIDB_LIBPQ_FORWARD(int, PQsslInUse, (PGconn * conn), (conn), 0)
OMNIDB_LIBPQ_FORWARD(ConnStatusType, PQstatus, (const PGconn* conn), (conn), CONNECTION_BAD)
