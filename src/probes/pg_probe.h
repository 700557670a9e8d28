// A PostgreSQL health probe: libpq's non-blocking connect and an async query, as a
// state machine over IoWatcher/Resolver (probe_io.h).
//
// A round: [resolve the host name] -> PQconnectStartParams/PQconnectPoll -> PQsendQuery
// -> read every result. The query is the configured one (default SELECT 1) followed, when
// role detection is on, by one more statement in the same round trip that reports
// pg_is_in_recovery() and, on a standby, the replay lag. A persistent probe keeps the
// connection for the next round and opens a new one when it was lost.
//
// Rules that keep the loop sound (BUILD-NOTES): while connecting, the watcher is stopped
// before every PQconnectPoll and PQsocket() re-read after it (libpq switches sockets on
// address fallback and SSL/GSS retries); a poll error still goes through PQconnectPoll so
// the message is libpq's; the watcher lets go of the socket before PQfinish. Once
// connected libpq only ever closes its socket, so the interest stays as it is (each
// uv_poll start/stop costs an epoll_ctl): a kept connection is watched for reading while
// idle, which also notices a server closing it. Host names are resolved first and passed
// as hostaddr=, so PQconnectStart never blocks on DNS.
//
// Builds without libpq: the pure helpers below always exist; PgProbe needs OMNIDB_HAVE_LIBPQ.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "probe_io.h"
#include "probe_round.h"

typedef struct pg_conn PGconn;
typedef struct pg_result PGresult;

namespace omnidb {

struct PgTarget {
  std::string host;      // a name, an IP literal, or a socket directory ("/..."); empty: libpq's default
  std::string hostaddr;  // given by the user: used as is, nothing is resolved
  std::string port;      // empty: libpq's default
  std::string user;
  std::string password;  // never appears in a message
  std::string dbname;
  // The name the server's certificate is checked against (and sent as SNI) when it is not
  // `host` (pg's ssl.servername): given to libpq as host=, the address still comes from `host`.
  std::string server_name;
  // Other libpq keywords (sslmode, application_name, ...), validated by the JS layer.
  std::vector<std::pair<std::string, std::string>> params;
};

struct PgConnParams {
  std::vector<std::string> keywords;
  std::vector<std::string> values;
};

// The keyword/value arrays for PQconnectStartParams. `addresses`: what the host name
// resolved to; each becomes one host/hostaddr pair, so libpq falls back along them.
PgConnParams BuildPgParams(const PgTarget& target, const std::vector<std::string>& addresses);

// "PostgreSQL at host:port" (or the socket file), for messages. No password, ever.
std::string DescribePgTarget(const PgTarget& target);

// The text sent per round: `query`, then the role statement when `detect_role`.
std::string PgRoundQuery(const std::string& query, bool detect_role);

// Reads the role statement's row: in_recovery "t"/"f", lag_ms a number or null (unknown),
// behind "t" when replay trails the received WAL (a null lag then fails maxLag). False
// when the row does not look like one.
bool ParsePgRoleRow(const char* in_recovery, const char* lag_ms, const char* behind, ProbeObservation* seen);

struct PgProbeConfig {
  PgTarget target;
  std::string query = "SELECT 1";
  bool detect_role = true;
  bool persistent = true;
  ProbePolicy policy;
};

class PgProbe : public ProbeRound {
 public:
  PgProbe(PgProbeConfig config, IoWatcher* watcher, Resolver* resolver, ResultCallback on_result);
  ~PgProbe() override;

  void Check() override;
  void OnIo(int events) override;
  bool connected() const override { return conn_ != nullptr; }

 private:
  void StartConnect() override;
  void Connect(const std::vector<std::string>& addresses);
  void StepConnect(int events);
  void SendQuery();
  void StepQuery(int events);
  void Collect(PGresult* result);
  void Watch(bool read, bool write);
  void DropConnection() override;
  std::string WhatWeWaitFor() const override;

  PgProbeConfig config_;
  std::string round_query_;
  std::string query_label_;

  PGconn* conn_ = nullptr;
  bool flushing_ = false;  // libpq still has query bytes to send
  int tls_ = 0;            // TlsKind() of conn_, read once when it connected

  // What the results of the round in flight said.
  std::string query_error_;
  bool have_row_ = false;
  bool row_null_[3] = {true, true, true};
  std::string row_[3];
};

}  // namespace omnidb
