#include "mysql_probe.h"

#include <cctype>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <utility>

#ifdef OMNIDB_HAVE_MARIADB
#include <errmsg.h>
#include <mysql.h>
#endif

namespace omnidb {

namespace {

constexpr const char* kReadOnlyStatement = "SELECT @@global.read_only";
constexpr const char* kReadOnlyColumn = "@@global.read_only";

}  // namespace

std::string DescribeMysqlTarget(const MysqlTarget& t) {
  if (!t.socket_path.empty()) return "MySQL at " + t.socket_path;
  return "MySQL at " + HostPort(t.host.empty() ? "localhost" : t.host, std::to_string(t.port));
}

std::string MysqlReplicaStatusStatement(const std::string& server_info, unsigned long version) {
  const bool mariadb = server_info.find("MariaDB") != std::string::npos;
  const unsigned long since = mariadb ? 100501UL : 80022UL;
  return version >= since ? "SHOW REPLICA STATUS" : "SHOW SLAVE STATUS";
}

std::string MysqlRoundQuery(const std::string& query, bool detect_role,
                            const std::string& replica_statement) {
  std::string q = query;
  // "SELECT 1;" would leave an empty statement between the semicolons: a syntax error.
  while (!q.empty() && (q.back() == ';' || std::isspace(static_cast<unsigned char>(q.back())))) q.pop_back();
  if (!detect_role) return q;
  return q + ";" + kReadOnlyStatement + ";" + replica_statement;
}

bool ApplyMysqlRole(const MysqlRoleFacts& facts, ProbeObservation* seen) {
  seen->has_lag = false;
  seen->lag_unknown_reason.clear();
  if (!facts.have_read_only) {
    seen->role = ProbeRole::kUnknown;
    seen->error = "the role query returned no usable row";
    return false;
  }
  const bool replica = facts.read_only || facts.replicating;
  seen->role = replica ? ProbeRole::kReplica : ProbeRole::kPrimary;
  if (!replica) return true;
  if (facts.replicating && !facts.seconds_null) {
    seen->has_lag = true;
    seen->lag_ms = facts.seconds_behind < 0 ? 0 : facts.seconds_behind * 1000.0;
  } else if (facts.replicating) {
    seen->lag_unknown_reason = "replication is not running: IO thread " +
                               (facts.io_running.empty() ? std::string("?") : facts.io_running) +
                               ", SQL thread " +
                               (facts.sql_running.empty() ? std::string("?") : facts.sql_running);
  } else if (!facts.have_status) {
    seen->lag_unknown_reason = "the replica status could not be read: " +
                               (facts.status_error.empty() ? std::string("no answer") : facts.status_error);
  } else {
    seen->lag_unknown_reason = "the server is read-only but replicates from no source";
  }
  return true;
}

std::string ExplainMysqlError(unsigned int code, const std::string& message) {
  // CR_CONNECTION_ERROR (2002), CR_CONN_HOST_ERROR (2003): "... (111)".
  if (code != 2002 && code != 2003) return message;
  std::string text = message;
  // "Can't connect to server on 'h' (111)": the probe's own prefix names host and port
  // (and Connector/C fills in the host only on some paths): drop the name.
  const size_t on = text.find(" on '");
  const size_t end = on == std::string::npos ? on : text.find("' (", on + 5);
  if (end != std::string::npos) text.erase(on, end + 1 - on);
  return WithErrnoText(text);
}

std::string WithErrnoText(const std::string& message) {
  if (message.size() < 3 || message.back() != ')') return message;
  const size_t open = message.rfind('(');
  if (open == std::string::npos || open + 2 >= message.size()) return message;
  const std::string digits = message.substr(open + 1, message.size() - open - 2);
  for (char c : digits) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return message;
  }
  char buf[128];
  buf[0] = '\0';
  const int err = std::atoi(digits.c_str());
#if defined(__GLIBC__) && defined(_GNU_SOURCE)
  const char* text = strerror_r(err, buf, sizeof buf);
#else
  const char* text = strerror_r(err, buf, sizeof buf) == 0 ? buf : "";
#endif
  if (text == nullptr || *text == '\0') return message;
  return message.substr(0, open + 1) + digits + ": " + text + ")";
}

#ifdef OMNIDB_HAVE_MARIADB

namespace {

// mysql_init() initialises the library on first use, which is not thread-safe: workers
// may create probes at once.
void InitLibrary() {
  static std::once_flag once;
  std::call_once(once, [] { mysql_library_init(0, nullptr, nullptr); });
}

bool IsClientError(unsigned int code) { return code >= 2000 && code < 3000; }

std::string Column(MYSQL_ROW row, const unsigned long* lengths, int index, bool* is_null) {
  *is_null = index < 0 || row[index] == nullptr;
  if (*is_null) return std::string();
  return std::string(row[index], lengths[index]);
}

}  // namespace

MysqlProbe::MysqlProbe(MysqlProbeConfig config, IoWatcher* watcher, Resolver* resolver,
                       ResultCallback on_result)
    : ProbeRound(watcher, resolver, std::move(on_result), DescribeMysqlTarget(config.target),
                 config.target.password, config.policy, config.persistent),
      config_(std::move(config)) {
  InitLibrary();
  query_label_ = config_.query.size() > 60 ? config_.query.substr(0, 57) + "..." : config_.query;
}

MysqlProbe::~MysqlProbe() { Close(); }

void MysqlProbe::Check() {
  if (!BeginRound()) return;
  if (conn_ != nullptr && ready_) {
    // A kept connection is watched while idle (OnIo), so one the server closed is gone by now.
    reused_ = true;
    SendQuery();
    return;
  }
  DropConnection();
  StartConnect();
}

void MysqlProbe::StartConnect() {
  reused_ = false;
  addresses_.clear();
  next_address_ = 0;
  const MysqlTarget& t = config_.target;
  const std::string host = t.host.empty() ? "localhost" : t.host;
  if (t.socket_path.empty() && NeedsResolution(host)) {
    ResolveThen(host, [this](std::vector<std::string> addresses) {
      addresses_ = std::move(addresses);
      ConnectNext();
    });
    return;
  }
  addresses_.push_back(t.socket_path.empty() ? host : std::string());
  ConnectNext();
}

void MysqlProbe::ConnectNext() {
  const MysqlTarget& t = config_.target;
  const std::string address = addresses_[next_address_++];
  conn_ = mysql_init(nullptr);
  if (conn_ == nullptr) {
    Fail("out of memory starting a connection");
    return;
  }
  ready_ = false;
  mysql_options(conn_, MYSQL_OPT_NONBLOCK, nullptr);  // the default stack for suspended operations
  unsigned int protocol = t.socket_path.empty() ? MYSQL_PROTOCOL_TCP : MYSQL_PROTOCOL_SOCKET;
  mysql_options(conn_, MYSQL_OPT_PROTOCOL, &protocol);
  mysql_optionsv(conn_, MYSQL_OPT_CONNECT_ATTR_ADD, "program_name", "omnidb-probe");
  const char* host = t.socket_path.empty() ? address.c_str() : "localhost";
  const char* user = t.user.empty() ? nullptr : t.user.c_str();
  const char* db = t.database.empty() ? nullptr : t.database.c_str();
  const char* socket = t.socket_path.empty() ? nullptr : t.socket_path.c_str();
  phase_ = Phase::kConnecting;
  op_ = Op::kConnect;
  tcp_connected_ = false;
  connect_ret_ = nullptr;
  const int status =
      mysql_real_connect_start(&connect_ret_, conn_, host, user, t.password.c_str(), db,
                               static_cast<unsigned int>(t.port), socket, CLIENT_MULTI_STATEMENTS);
  Drive(status);
}

void MysqlProbe::SendQuery() {
  phase_ = Phase::kQuerying;
  query_error_.clear();
  facts_ = MysqlRoleFacts();
  op_ = Op::kQuery;
  int_ret_ = 0;
  Drive(mysql_real_query_start(&int_ret_, conn_, round_query_.data(), round_query_.size()));
}

void MysqlProbe::Drive(int status) {
  for (;;) {
    if (status != 0) {
      Watch(status);
      return;
    }
    status = Completed();
    if (status < 0) return;  // the round is decided, or moved on (another address)
  }
}

int MysqlProbe::Completed() {
  const Op done = op_;
  op_ = Op::kNone;
  switch (done) {
    case Op::kConnect: {
      if (connect_ret_ == nullptr) {
        const unsigned int code = mysql_errno(conn_);
        const std::string message = LibraryError();
        DropConnection();
        if ((code == CR_CONN_HOST_ERROR || code == CR_CONNECTION_ERROR) &&
            next_address_ < addresses_.size()) {
          ConnectNext();
          return -1;
        }
        Fail(message.empty() ? "connection failed" : message);
        return -1;
      }
      ready_ = true;
      round_query_ = MysqlRoundQuery(
          config_.query, config_.detect_role,
          MysqlReplicaStatusStatement(mysql_get_server_info(conn_), mysql_get_server_version(conn_)));
      SendQuery();
      return -1;
    }
    case Op::kQuery:
      if (int_ret_ != 0) break;
      op_ = Op::kStore;
      res_ret_ = nullptr;
      return mysql_store_result_start(&res_ret_, conn_);
    case Op::kStore:
      if (res_ret_ != nullptr) {
        Collect(res_ret_);
        mysql_free_result(res_ret_);  // stored: every row is in memory, nothing to read
        res_ret_ = nullptr;
      } else if (mysql_field_count(conn_) != 0) {
        break;  // a result set that could not be read
      }
      if (!mysql_more_results(conn_)) {
        QueryDone();
        return -1;
      }
      op_ = Op::kNext;
      int_ret_ = 0;
      return mysql_next_result_start(&int_ret_, conn_);
    case Op::kNext:
      if (int_ret_ > 0) break;
      if (int_ret_ < 0) {
        QueryDone();
        return -1;
      }
      op_ = Op::kStore;
      res_ret_ = nullptr;
      return mysql_store_result_start(&res_ret_, conn_);
    case Op::kNone: return -1;
  }
  // A statement failed.
  const unsigned int code = mysql_errno(conn_);
  const std::string message = LibraryError();
  if (IsClientError(code) || code == 0) {
    ConnectionLost(message);
  } else if (config_.detect_role && facts_.have_read_only) {
    facts_.status_error = message;  // the replica status statement, e.g. no privilege
    QueryDone();
  } else {
    query_error_ = message;  // the probe query (the server stops a multi-statement there)
    QueryDone();
  }
  return -1;
}

void MysqlProbe::Collect(MYSQL_RES* result) {
  if (!config_.detect_role) return;
  const unsigned int n = mysql_num_fields(result);
  const MYSQL_FIELD* fields = mysql_fetch_fields(result);
  if (n == 1 && std::strcmp(fields[0].name, kReadOnlyColumn) == 0) {
    MYSQL_ROW row = mysql_fetch_row(result);
    if (row != nullptr && row[0] != nullptr) {
      facts_.have_read_only = true;
      facts_.read_only = std::strcmp(row[0], "0") != 0;
    }
    return;
  }
  int seconds = -1;
  int io = -1;
  int sql = -1;
  for (unsigned int i = 0; i < n; ++i) {
    const char* name = fields[i].name;
    if (std::strcmp(name, "Seconds_Behind_Master") == 0 || std::strcmp(name, "Seconds_Behind_Source") == 0) {
      seconds = static_cast<int>(i);
    } else if (std::strcmp(name, "Slave_IO_Running") == 0 || std::strcmp(name, "Replica_IO_Running") == 0) {
      io = static_cast<int>(i);
    } else if (std::strcmp(name, "Slave_SQL_Running") == 0 || std::strcmp(name, "Replica_SQL_Running") == 0) {
      sql = static_cast<int>(i);
    }
  }
  if (seconds < 0) return;  // a result of the probe query
  facts_.have_status = true;
  MYSQL_ROW row = mysql_fetch_row(result);
  if (row == nullptr) return;  // no replication source
  const unsigned long* lengths = mysql_fetch_lengths(result);
  facts_.replicating = true;
  bool null = true;
  const std::string s = Column(row, lengths, seconds, &null);
  facts_.seconds_null = null;
  facts_.seconds_behind = null ? 0 : std::strtod(s.c_str(), nullptr);
  facts_.io_running = Column(row, lengths, io, &null);
  facts_.sql_running = Column(row, lengths, sql, &null);
}

void MysqlProbe::QueryDone() {
  ProbeObservation seen;
  seen.latency_ms = MonotonicMs() - started_ms_;
  if (!query_error_.empty()) {
    seen.error = "query failed: " + query_error_;
    Finish(std::move(seen));
    return;
  }
  seen.answered = true;
  if (config_.detect_role) ApplyMysqlRole(facts_, &seen);
  Finish(std::move(seen));
}

void MysqlProbe::OnIo(int events) {
  if (op_ == Op::kNone) {
    // A kept connection, idle: the server closed it (a restart, KILL, wait_timeout) or
    // sent an error packet before doing so. Let go of it now.
    if (phase_ == Phase::kIdle && conn_ != nullptr) DropConnection();
    return;
  }
  int ready = 0;
  if (events & kIoReadable) ready |= MYSQL_WAIT_READ;
  if (events & kIoWritable) ready |= MYSQL_WAIT_WRITE;
  if (events & kIoError)
    ready |= waiting_ & (MYSQL_WAIT_READ | MYSQL_WAIT_WRITE);  // the library's I/O finds out why
  if (ready == 0) ready = waiting_ & (MYSQL_WAIT_READ | MYSQL_WAIT_WRITE);
  int status = 0;
  switch (op_) {
    case Op::kConnect:
      // While connecting the library may still switch sockets: stop watching before it runs.
      watcher_->Stop();
      status = mysql_real_connect_cont(&connect_ret_, conn_, ready);
      break;
    case Op::kQuery: status = mysql_real_query_cont(&int_ret_, conn_, ready); break;
    case Op::kStore: status = mysql_store_result_cont(&res_ret_, conn_, ready); break;
    case Op::kNext: status = mysql_next_result_cont(&int_ret_, conn_, ready); break;
    case Op::kNone: return;
  }
  Drive(status);
}

void MysqlProbe::Watch(int status) {
  waiting_ = status;
  if (phase_ == Phase::kConnecting && (status & MYSQL_WAIT_READ)) tcp_connected_ = true;
  const my_socket fd = mysql_get_socket(conn_);
  if (fd < 0) {
    ConnectionLost("the connection has no socket");
    return;
  }
  // MYSQL_WAIT_TIMEOUT (a timeout of the library's own) is not watched: the round has its own.
  WatchSocket(fd, (status & (MYSQL_WAIT_READ | MYSQL_WAIT_EXCEPT)) != 0, (status & MYSQL_WAIT_WRITE) != 0);
}

void MysqlProbe::DropConnection() {
  if (conn_ == nullptr) return;
  // The loop lets go of the socket before the library closes it.
  watcher_->Release();
  if (op_ != Op::kNone) {
    // Resume the suspended operation with a timeout: its pending I/O fails and it unwinds
    // (frees what it allocated) before the connection, and its stack, are freed.
    int status = 1;
    for (int i = 0; i < 16 && status != 0; ++i) {
      switch (op_) {
        case Op::kConnect: status = mysql_real_connect_cont(&connect_ret_, conn_, MYSQL_WAIT_TIMEOUT); break;
        case Op::kQuery: status = mysql_real_query_cont(&int_ret_, conn_, MYSQL_WAIT_TIMEOUT); break;
        case Op::kStore: status = mysql_store_result_cont(&res_ret_, conn_, MYSQL_WAIT_TIMEOUT); break;
        case Op::kNext: status = mysql_next_result_cont(&int_ret_, conn_, MYSQL_WAIT_TIMEOUT); break;
        case Op::kNone: status = 0; break;
      }
    }
    if (op_ == Op::kStore && status == 0 && res_ret_ != nullptr) mysql_free_result(res_ret_);
    res_ret_ = nullptr;
    op_ = Op::kNone;
  }
  mysql_close(conn_);
  conn_ = nullptr;
  ready_ = false;
}

std::string MysqlProbe::LibraryError() const {
  if (conn_ == nullptr) return std::string();
  return ExplainMysqlError(mysql_errno(conn_), mysql_error(conn_));
}

std::string MysqlProbe::WhatWeWaitFor() const {
  switch (phase_) {
    case Phase::kConnecting:
      return tcp_connected_
                 ? "while connecting (waiting for the server's greeting or its answer to authentication)"
                 : "while connecting (waiting for the TCP connection to be accepted)";
    case Phase::kQuerying: return "waiting for the reply to \"" + query_label_ + "\"";
    default: return "";
  }
}

void MysqlProbe::AfterRound(bool kept) {
  // A kept connection that cannot be watched is not kept.
  if (kept && conn_ != nullptr && !watcher_->Want(mysql_get_socket(conn_), true, false)) DropConnection();
}

#else  // !OMNIDB_HAVE_MARIADB

MysqlProbe::MysqlProbe(MysqlProbeConfig config, IoWatcher* watcher, Resolver* resolver,
                       ResultCallback on_result)
    : ProbeRound(watcher, resolver, std::move(on_result), DescribeMysqlTarget(config.target),
                 config.target.password, config.policy, config.persistent),
      config_(std::move(config)) {}
MysqlProbe::~MysqlProbe() = default;
void MysqlProbe::Check() { Unavailable("MariaDB Connector/C (install libmariadb-dev and rebuild)"); }
void MysqlProbe::OnIo(int) {}
void MysqlProbe::StartConnect() {}
void MysqlProbe::DropConnection() {}
std::string MysqlProbe::WhatWeWaitFor() const { return std::string(); }
void MysqlProbe::AfterRound(bool) {}

#endif  // OMNIDB_HAVE_MARIADB

}  // namespace omnidb
