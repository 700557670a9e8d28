// hiredis's async context on an IoWatcher (probe_io.h), in the shape of hiredis's own
// adapters/libuv.h: five ev hooks, an Attach, and the counterpart of its poll callback.
// Include it only where hiredis is (OMNIDB_HAVE_HIREDIS).
//
// Two differences from that adapter:
// - The hooks do not touch the loop themselves: they tell a sink (the probe) what hiredis
//   wants, as IoEvent bits (RedisWant(add, del)) or that it is freeing the context
//   (RedisCleanup(): let go of the socket now, hiredis closes it next). The sink decides
//   when to pass that on to its watcher (RedisProbe coalesces the toggles of one entry point).
// - A loop error on the socket is handed to hiredis as readable + writable, so hiredis
//   reads the socket error itself. Debian's hiredis 0.14 adapter returns early on an error
//   status, and a refused connection then never settles (BUILD-NOTES).
#pragma once

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "probe_io.h"

namespace omnidb {
namespace redis_loop {

// `Sink` has RedisWant(int add, int del) and RedisCleanup(), reachable from here.
template <typename Sink>
void AddRead(void* sink) {
  static_cast<Sink*>(sink)->RedisWant(kIoReadable, 0);
}
template <typename Sink>
void DelRead(void* sink) {
  static_cast<Sink*>(sink)->RedisWant(0, kIoReadable);
}
template <typename Sink>
void AddWrite(void* sink) {
  static_cast<Sink*>(sink)->RedisWant(kIoWritable, 0);
}
template <typename Sink>
void DelWrite(void* sink) {
  static_cast<Sink*>(sink)->RedisWant(0, kIoWritable);
}
template <typename Sink>
void Cleanup(void* sink) {
  static_cast<Sink*>(sink)->RedisCleanup();
}

}  // namespace redis_loop

// Hooks `sink` into `ac`'s event callbacks. REDIS_ERR when `ac` has an adapter already.
template <typename Sink>
int RedisLoopAttach(redisAsyncContext* ac, Sink* sink) {
  if (ac->ev.data != nullptr) return REDIS_ERR;
  ac->ev.addRead = redis_loop::AddRead<Sink>;
  ac->ev.delRead = redis_loop::DelRead<Sink>;
  ac->ev.addWrite = redis_loop::AddWrite<Sink>;
  ac->ev.delWrite = redis_loop::DelWrite<Sink>;
  ac->ev.cleanup = redis_loop::Cleanup<Sink>;
  ac->ev.data = sink;
  return REDIS_OK;
}

// The loop reported `events` (IoEvent bits) on the socket of `context`: read, then write.
// `context` is the sink's own pointer, read again after the read: hiredis may have freed
// the context there (its cleanup hook then cleared the pointer).
inline void RedisLoopHandle(redisAsyncContext* const& context, int events) {
  if (events & kIoError) events |= kIoReadable | kIoWritable;
  redisAsyncContext* ac = context;
  if (ac != nullptr && (events & kIoReadable)) redisAsyncHandleRead(ac);
  if (ac != nullptr && context == ac && (events & kIoWritable)) redisAsyncHandleWrite(ac);
}

}  // namespace omnidb
