// A MySQL/MariaDB health probe: MariaDB Connector/C's non-blocking API (the *_start /
// *_cont calls) as a state machine over IoWatcher/Resolver (probe_io.h).
//
// A round: [resolve the host name] -> mysql_real_connect_start/_cont -> one multi-statement
// query: the configured one (default SELECT 1) followed, when role detection is on, by
// `SELECT @@global.read_only` and the replica status (SHOW REPLICA STATUS, or SHOW SLAVE
// STATUS on servers older than MariaDB 10.5.1 / MySQL 8.0.22) -> every result stored and
// read. A persistent probe keeps the connection for the next round.
//
// Role: a server is a replica when it is read-only or has a replication source configured
// (a row in the replica status); otherwise a primary. Lag: Seconds_Behind_Master (or
// _Source) * 1000 (1 s resolution); null when the row says NULL (a replication thread is
// not running), which fails maxLag. A user without the privilege to read the replica
// status (SLAVE MONITOR / REPLICATION CLIENT) gets the role from read_only alone.
//
// Rules that keep the loop sound: the library runs each operation on its own small stack
// and hands back "wait for read/write on mysql_get_socket()"; nothing is left suspended
// there: a round that is abandoned (timeout, abort, close) is first resumed with
// MYSQL_WAIT_TIMEOUT, which makes the pending I/O fail and the operation unwind, and only
// then closed. The watcher lets go of the socket before anything that may close it. Host
// names are resolved first (Connector/C would block in getaddrinfo) and the addresses
// tried in order until one accepts.
//
// Builds without libmariadb: the pure helpers exist; MysqlProbe needs OMNIDB_HAVE_MARIADB.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "probe_io.h"
#include "probe_round.h"

typedef struct st_mysql MYSQL;
typedef struct st_mysql_res MYSQL_RES;

namespace omnidb {

struct MysqlTarget {
  std::string host;  // a name or an IP literal; empty: localhost
  int port = 3306;
  std::string socket_path;  // a unix socket instead of host/port
  std::string user;
  std::string password;  // never appears in a message
  std::string database;
};

// "MySQL at host:port" (or the socket path), for messages. No password, ever.
std::string DescribeMysqlTarget(const MysqlTarget& target);

// The statement that reads the replica status on a server: SHOW REPLICA STATUS from
// MariaDB 10.5.1 and MySQL 8.0.22 on (MySQL 8.4 has nothing else), SHOW SLAVE STATUS before.
// `server_info` as mysql_get_server_info() reports it, `version` as mysql_get_server_version().
std::string MysqlReplicaStatusStatement(const std::string& server_info, unsigned long version);

// The text sent per round: `query` (trailing semicolons dropped), then the role statements.
std::string MysqlRoundQuery(const std::string& query, bool detect_role, const std::string& replica_statement);

// What the role statements returned.
struct MysqlRoleFacts {
  bool have_read_only = false;
  bool read_only = false;
  bool have_status = false;  // the replica status statement answered
  std::string status_error;  // ... or failed with this (e.g. no privilege)
  bool replicating = false;  // it returned a row: a replication source is configured
  bool seconds_null = true;  // Seconds_Behind_Master was NULL
  double seconds_behind = 0;
  std::string io_running;  // Slave_IO_Running / Replica_IO_Running
  std::string sql_running;
};

// Role and lag into `seen`. False (and `seen->error` says why) when the facts name no role.
bool ApplyMysqlRole(const MysqlRoleFacts& facts, ProbeObservation* seen);

// Connector/C's "Can't connect to server on 'h' (111)" with the errno spelled out.
std::string ExplainMysqlError(unsigned int code, const std::string& message);
// "... (111)" -> "... (111: Connection refused)"; anything else as it is.
std::string WithErrnoText(const std::string& message);

struct MysqlProbeConfig {
  MysqlTarget target;
  std::string query = "SELECT 1";
  bool detect_role = true;
  bool persistent = true;
  ProbePolicy policy;
};

class MysqlProbe : public ProbeRound {
 public:
  MysqlProbe(MysqlProbeConfig config, IoWatcher* watcher, Resolver* resolver, ResultCallback on_result);
  ~MysqlProbe() override;

  void Check() override;
  void OnIo(int events) override;
  bool connected() const override { return conn_ != nullptr && ready_; }

 private:
  // The library operation that is suspended, waiting for the socket.
  enum class Op { kNone, kConnect, kQuery, kStore, kNext };

  void StartConnect() override;
  void ConnectNext();
  void SendQuery();
  // Runs the library until it waits for the socket or the round is decided. `status` is
  // what the last *_start/_cont returned (0: the operation completed).
  void Drive(int status);
  // The operation `op_` completed: act on its result; returns the next status to drive.
  int Completed();
  void Collect(MYSQL_RES* result);
  void QueryDone();
  void Watch(int status);
  // Resumes a suspended operation with a timeout so it unwinds, then closes the connection.
  void DropConnection() override;
  std::string WhatWeWaitFor() const override;
  // A kept connection is watched while idle: that notices a server closing it.
  void AfterRound(bool kept) override;
  std::string LibraryError() const;

  MysqlProbeConfig config_;
  std::string query_label_;
  std::string round_query_;  // per connection: the replica statement depends on the server

  MYSQL* conn_ = nullptr;
  bool ready_ = false;  // conn_ is connected (not mid-connect)
  Op op_ = Op::kNone;
  MYSQL* connect_ret_ = nullptr;
  int int_ret_ = 0;
  MYSQL_RES* res_ret_ = nullptr;
  int waiting_ = 0;             // MYSQL_WAIT_* bits of the suspended operation
  bool tcp_connected_ = false;  // the connect has waited for reading (past the TCP handshake)

  std::vector<std::string> addresses_;
  size_t next_address_ = 0;

  std::string query_error_;
  MysqlRoleFacts facts_;
};

}  // namespace omnidb
