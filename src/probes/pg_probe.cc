#include "pg_probe.h"

#include <cstdlib>
#include <utility>

#ifdef OMNIDB_HAVE_LIBPQ
#include <libpq-fe.h>
#endif

namespace omnidb {

namespace {

// One statement, one round trip with the probe query. On a standby the lag is 0 while
// the WAL receiver streams and has replayed all it received (an idle primary sends no
// transactions, so the time since the last replayed one says nothing); otherwise it is
// the time since the last replayed transaction, and NULL when none was replayed yet. The
// third column says whether replay is behind what was received (then a NULL lag is
// "behind by an unknown amount", not "caught up").
constexpr const char* kRoleStatement =
    "SELECT pg_is_in_recovery(), CASE WHEN NOT pg_is_in_recovery() THEN NULL "
    "WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() AND EXISTS "
    "(SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming') THEN 0 "
    "ELSE EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()) * 1000 END, "
    "pg_is_in_recovery() AND pg_last_wal_receive_lsn() > pg_last_wal_replay_lsn()";

#ifdef OMNIDB_HAVE_LIBPQ
// libpq's default prints notices (and a FATAL that arrives while idle, e.g. "terminating
// connection due to unexpected postmaster exit") to stderr: a probe reports, it never prints.
void IgnoreNotice(void*, const char*) {}
#endif

// A server that takes this client only over TLS refuses the plaintext attempt with "no
// pg_hba.conf entry for ..., no encryption": say what that means for the probe.
std::string WithTlsHint(const std::string& message) {
  if (message.find("no encryption") == std::string::npos) return message;
  return message +
         " (the server accepts this connection only over TLS, and the probe connected without it: "
         "give it ssl: true or ssl: { ca }, not ssl: false or sslmode=disable/allow)";
}

bool IsIpLiteral(const std::string& host) {
  return !host.empty() && host[0] != '/' && host[0] != '@' && !NeedsResolution(host);
}

void Add(PgConnParams* p, const char* key, const std::string& value) {
  if (value.empty()) return;  // libpq treats an empty value as unset anyway
  p->keywords.emplace_back(key);
  p->values.push_back(value);
}

}  // namespace

PgConnParams BuildPgParams(const PgTarget& t, const std::vector<std::string>& addresses) {
  PgConnParams p;
  // Defaults first: a user's own keyword, later in the list, wins.
  Add(&p, "fallback_application_name", "omnidb-probe");
  Add(&p, "gssencmode", "disable");  // no Kerberos round trip (and no krb5 file reads) per connect
  for (const auto& kv : t.params) Add(&p, kv.first.c_str(), kv.second);
  // What the certificate is checked against: pg's ssl.servername, else the host itself.
  const std::string& name = t.server_name.empty() ? t.host : t.server_name;
  if (!t.hostaddr.empty()) {
    Add(&p, "host", name);
    Add(&p, "hostaddr", t.hostaddr);
  } else if (!addresses.empty()) {
    std::string hosts;
    std::string addrs;
    for (size_t i = 0; i < addresses.size(); ++i) {
      if (i > 0) {
        hosts += ',';
        addrs += ',';
      }
      hosts += name;
      addrs += addresses[i];
    }
    Add(&p, "host", hosts);
    Add(&p, "hostaddr", addrs);
  } else if (IsIpLiteral(t.host)) {
    Add(&p, "host", name);
    Add(&p, "hostaddr", t.host);
  } else {
    Add(&p, "host", t.host);  // a socket directory, or empty: libpq's default
  }
  Add(&p, "port", t.port);
  Add(&p, "user", t.user);
  Add(&p, "password", t.password);
  Add(&p, "dbname", t.dbname);
  return p;
}

std::string DescribePgTarget(const PgTarget& t) {
  const std::string port = t.port.empty() ? "5432" : t.port;
  if (!t.host.empty() && t.host[0] == '/') {
    std::string dir = t.host;
    if (dir.size() > 1 && dir.back() == '/') dir.pop_back();
    return "PostgreSQL at " + dir + "/.s.PGSQL." + port;
  }
  std::string host = t.host.empty() ? t.hostaddr : t.host;
  if (host.empty()) host = "(default host)";
  return "PostgreSQL at " + HostPort(host, port);
}

std::string PgRoundQuery(const std::string& query, bool detect_role) {
  if (!detect_role) return query;
  return query + "; " + kRoleStatement;
}

bool ParsePgRoleRow(const char* in_recovery, const char* lag_ms, const char* behind, ProbeObservation* seen) {
  if (in_recovery == nullptr) return false;
  const std::string r = in_recovery;
  if (r != "t" && r != "f") return false;
  seen->role = r == "t" ? ProbeRole::kStandby : ProbeRole::kPrimary;
  seen->has_lag = false;
  seen->lag_unknown_reason.clear();
  if (r == "t" && lag_ms == nullptr && behind != nullptr && std::string(behind) == "t") {
    seen->lag_unknown_reason = "replay is behind the received WAL and no transaction was replayed yet";
  }
  if (r == "t" && lag_ms != nullptr) {
    char* end = nullptr;
    const double v = std::strtod(lag_ms, &end);
    if (end == lag_ms) return false;
    seen->has_lag = true;
    seen->lag_ms = v < 0 ? 0 : v;  // clocks of primary and standby may disagree a little
  }
  return true;
}

#ifdef OMNIDB_HAVE_LIBPQ

PgProbe::PgProbe(PgProbeConfig config, IoWatcher* watcher, Resolver* resolver, ResultCallback on_result)
    : ProbeRound(watcher, resolver, std::move(on_result), DescribePgTarget(config.target),
                 config.target.password, config.policy, config.persistent),
      config_(std::move(config)) {
  round_query_ = PgRoundQuery(config_.query, config_.detect_role);
  query_label_ = config_.query.size() > 60 ? config_.query.substr(0, 57) + "..." : config_.query;
}

PgProbe::~PgProbe() { Close(); }

void PgProbe::Check() {
  if (!BeginRound()) return;
  query_error_.clear();
  have_row_ = false;
  if (conn_ != nullptr) {
    // A kept connection is watched while idle (OnIo), so one the server closed is gone by now.
    if (PQstatus(conn_) == CONNECTION_OK) {
      reused_ = true;
      SendQuery();
      return;
    }
    DropConnection();
  }
  StartConnect();
}

void PgProbe::StartConnect() {
  reused_ = false;
  const PgTarget& t = config_.target;
  if (t.hostaddr.empty() && NeedsResolution(t.host)) {
    ResolveThen(t.host, [this](const std::vector<std::string>& addresses) { Connect(addresses); });
    return;
  }
  Connect({});
}

void PgProbe::Connect(const std::vector<std::string>& addresses) {
  const PgConnParams params = BuildPgParams(config_.target, addresses);
  std::vector<const char*> keywords;
  std::vector<const char*> values;
  for (size_t i = 0; i < params.keywords.size(); ++i) {
    keywords.push_back(params.keywords[i].c_str());
    values.push_back(params.values[i].c_str());
  }
  keywords.push_back(nullptr);
  values.push_back(nullptr);
  conn_ = PQconnectStartParams(keywords.data(), values.data(), 0);
  if (conn_ == nullptr) {
    Fail("out of memory starting a connection");
    return;
  }
  PQsetNoticeProcessor(conn_, IgnoreNotice, nullptr);
  if (PQstatus(conn_) == CONNECTION_BAD) {  // e.g. refused at once on loopback, or a bad sslmode
    const std::string message = PQerrorMessage(conn_);
    DropConnection();
    Fail(message);
    return;
  }
  phase_ = Phase::kConnecting;
  Watch(false, true);  // libpq: after PQconnectStart, act as if polling returned WRITING
}

void PgProbe::OnIo(int events) {
  if (phase_ == Phase::kConnecting) {
    StepConnect(events);
  } else if (phase_ == Phase::kQuerying) {
    StepQuery(events);
  } else if (conn_ != nullptr) {
    // A kept connection, idle: a notice, or the server closing it (a restart, an admin's
    // pg_terminate_backend). Read it now, so the socket is released at once.
    if (!PQconsumeInput(conn_) || PQstatus(conn_) != CONNECTION_OK) {
      DropConnection();
      return;
    }
    while (PGnotify* n = PQnotifies(conn_)) PQfreemem(n);
  }
}

void PgProbe::StepConnect(int) {
  // Whatever the loop saw, readiness or an error, PQconnectPoll finds out: on an error
  // it reports libpq's own message (refused, reset, ...).
  watcher_->Stop();
  switch (PQconnectPoll(conn_)) {
    case PGRES_POLLING_READING: Watch(true, false); return;
    case PGRES_POLLING_WRITING:
    case PGRES_POLLING_ACTIVE: Watch(false, true); return;
    case PGRES_POLLING_OK:
      if (PQsetnonblocking(conn_, 1) != 0) {
        ConnectionLost(PQerrorMessage(conn_));
        return;
      }
      tls_ = TlsKind(PQsslInUse(conn_) != 0, PQsslAttribute(conn_, "protocol"));
      SendQuery();
      return;
    case PGRES_POLLING_FAILED:
    default: {
      const std::string message = PQerrorMessage(conn_);
      DropConnection();
      Fail(message.empty() ? "connection failed" : WithTlsHint(message));
      return;
    }
  }
}

// From here on libpq never opens a socket, it may only close one: the watcher is not
// stopped around each call (uv_poll_start/stop cost an epoll_ctl each), and a socket
// libpq closed is released right after (ConnectionLost), before anything else runs on
// the loop. Keeping the same interest costs nothing: the watcher skips unchanged requests.
void PgProbe::SendQuery() {
  phase_ = Phase::kQuerying;
  query_error_.clear();
  have_row_ = false;
  if (!PQsendQuery(conn_, round_query_.c_str())) {
    ConnectionLost(PQerrorMessage(conn_));
    return;
  }
  const int flushed = PQflush(conn_);
  if (flushed < 0) {
    ConnectionLost(PQerrorMessage(conn_));
    return;
  }
  flushing_ = flushed == 1;
  Watch(true, flushing_);
}

void PgProbe::StepQuery(int events) {
  if (flushing_ && (events & (kIoWritable | kIoError))) {
    const int flushed = PQflush(conn_);
    if (flushed < 0) {
      ConnectionLost(PQerrorMessage(conn_));
      return;
    }
    flushing_ = flushed == 1;
  }
  if ((events & (kIoReadable | kIoError)) && !PQconsumeInput(conn_)) {
    // libpq keeps what it already read: drain it below, then decide.
    if (PQstatus(conn_) != CONNECTION_OK) {
      const std::string message = PQerrorMessage(conn_);
      while (PGresult* r = PQgetResult(conn_)) PQclear(r);
      ConnectionLost(message);
      return;
    }
  }
  while (!PQisBusy(conn_)) {
    PGresult* result = PQgetResult(conn_);
    if (result == nullptr) {
      // Every result is in.
      if (PQstatus(conn_) != CONNECTION_OK) {
        ConnectionLost(query_error_.empty() ? PQerrorMessage(conn_) : query_error_);
        return;
      }
      // Idle, a kept connection is watched for reading; one that cannot be is not kept.
      if (flushing_ && !watcher_->Want(PQsocket(conn_), true, false)) DropConnection();
      flushing_ = false;
      ProbeObservation seen;
      seen.latency_ms = MonotonicMs() - started_ms_;
      seen.tls = tls_;
      if (!query_error_.empty()) {
        seen.error = "query failed: " + query_error_;
        Finish(seen);
        return;
      }
      seen.answered = true;
      if (config_.detect_role) {
        if (!have_row_ || !ParsePgRoleRow(row_null_[0] ? nullptr : row_[0].c_str(),
                                          row_null_[1] ? nullptr : row_[1].c_str(),
                                          row_null_[2] ? nullptr : row_[2].c_str(), &seen)) {
          seen.role = ProbeRole::kUnknown;
          seen.error = "the role query returned no usable row";
        }
      }
      Finish(seen);
      return;
    }
    Collect(result);
    PQclear(result);
  }
  Watch(true, flushing_);
}

void PgProbe::Collect(PGresult* result) {
  switch (PQresultStatus(result)) {
    case PGRES_TUPLES_OK:
      // The role statement comes last: its row is the last one with three columns.
      if (config_.detect_role && PQnfields(result) == 3 && PQntuples(result) >= 1) {
        have_row_ = true;
        for (int c = 0; c < 3; ++c) {
          row_null_[c] = PQgetisnull(result, 0, c) != 0;
          row_[c] = row_null_[c] ? std::string() : std::string(PQgetvalue(result, 0, c));
        }
      }
      return;
    case PGRES_COMMAND_OK:
    case PGRES_EMPTY_QUERY:
    case PGRES_SINGLE_TUPLE: return;
    default:
      if (query_error_.empty()) {
        const char* message = PQresultErrorMessage(result);
        query_error_ = (message != nullptr && *message) ? message : PQresStatus(PQresultStatus(result));
      }
  }
}

void PgProbe::Watch(bool read, bool write) {
  const int fd = PQsocket(conn_);
  if (fd < 0) {
    ConnectionLost(PQerrorMessage(conn_));
    return;
  }
  WatchSocket(fd, read, write);
}

void PgProbe::DropConnection() {
  if (conn_ == nullptr) return;
  // The loop lets go of the socket before libpq closes it.
  watcher_->Release();
  PQfinish(conn_);
  conn_ = nullptr;
  flushing_ = false;
  tls_ = kTlsUnknown;
}

std::string PgProbe::WhatWeWaitFor() const {
  switch (phase_) {
    case Phase::kQuerying: return "waiting for the reply to \"" + query_label_ + "\"";
    case Phase::kConnecting: break;
    default: return "";
  }
  const char* step = "connecting";
  switch (conn_ == nullptr ? CONNECTION_BAD : PQstatus(conn_)) {
    case CONNECTION_STARTED: step = "waiting for the TCP connection to be accepted"; break;
    case CONNECTION_MADE: step = "connected, sending the startup packet"; break;
    case CONNECTION_SSL_STARTUP: step = "negotiating SSL: no answer from the server"; break;
    case CONNECTION_GSS_STARTUP: step = "negotiating GSS encryption: no answer from the server"; break;
    case CONNECTION_AWAITING_RESPONSE:
      step = "waiting for the server to answer the startup/authentication";
      break;
    case CONNECTION_AUTH_OK: step = "authenticated, waiting for the server to be ready"; break;
    default: step = "checking the new session"; break;
  }
  return std::string("while connecting (") + step + ")";
}

#else  // !OMNIDB_HAVE_LIBPQ

PgProbe::PgProbe(PgProbeConfig config, IoWatcher* watcher, Resolver* resolver, ResultCallback on_result)
    : ProbeRound(watcher, resolver, std::move(on_result), DescribePgTarget(config.target),
                 config.target.password, config.policy, config.persistent),
      config_(std::move(config)) {}
PgProbe::~PgProbe() = default;
void PgProbe::Check() { Unavailable("libpq (install libpq-dev and rebuild)"); }
void PgProbe::OnIo(int) {}
void PgProbe::StartConnect() {}
void PgProbe::DropConnection() {}
std::string PgProbe::WhatWeWaitFor() const { return std::string(); }

#endif  // OMNIDB_HAVE_LIBPQ

}  // namespace omnidb
