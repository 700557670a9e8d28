// One libuv handle on Node's loop, with one visible end of life.
//
// The uv handle lives in a heap block that is freed, and whose async env cleanup hook is
// removed, only in uv_close's callback: until then a terminating worker waits for it
// instead of aborting on a live handle. The owner may go away first (Close() detaches
// it: callbacks already queued find no owner and do nothing). When the environment goes
// away first (worker terminated, process exit), the hook closes the handle and tells the
// owner through `teardown`, without JS.
//
// Used by LoopTimer (uv_timer_t) and UvPollWatcher (uv_poll_t).
#pragma once

#include <node_api.h>
#include <uv.h>

#include <string>

namespace omnidb_binding {

// "uv_poll_init: bad file descriptor (EBADF)".
inline std::string UvError(const char* call, int code) {
  return std::string(call) + ": " + uv_strerror(code) + " (" + uv_err_name(code) + ")";
}

// Node's loop for `env`; null when N-API cannot say (the caller reports it).
inline uv_loop_t* LoopOf(napi_env env) {
  uv_loop_t* loop = nullptr;
  return napi_get_uv_event_loop(env, &loop) == napi_ok ? loop : nullptr;
}

template <typename T>
class UvHandle {
 public:
  // The environment is going away: the handle is closing already; the owner lets go of
  // what it holds (e.g. the socket a poll watched), without JS.
  using Teardown = void (*)(void* owner);

  explicit UvHandle(void* owner, Teardown teardown = nullptr) : owner_(owner), teardown_(teardown) {}
  ~UvHandle() { Close(); }
  UvHandle(const UvHandle&) = delete;
  UvHandle& operator=(const UvHandle&) = delete;

  // Closes any open handle, then opens a new one with `init(loop, handle, args...)` (as
  // uv_timer_init, uv_poll_init) and its cleanup hook. Empty on success, else why:
  // nothing is open then.
  template <typename Init, typename... Args>
  std::string Open(napi_env env, uv_loop_t* loop, const char* init_name, Init init, Args... args) {
    Close();
    if (loop == nullptr) return std::string(init_name) + ": no event loop for this environment";
    Block* block = new Block();
    const int err = init(loop, &block->handle, args...);
    if (err != 0) {  // never initialised: nothing to close
      delete block;
      return UvError(init_name, err);
    }
    block->handle.data = block;
    if (napi_add_async_cleanup_hook(env, OnEnvCleanup, block, &block->hook) != napi_ok) {
      block->hook = nullptr;
      CloseBlock(block);
      return "napi_add_async_cleanup_hook failed";
    }
    block->wrapper = this;
    block_ = block;
    return std::string();
  }

  bool is_open() const { return block_ != nullptr; }
  // The open handle (null when none).
  T* get() const { return block_ != nullptr ? &block_->handle : nullptr; }

  // Whether the handle alone keeps the loop alive.
  void SetRef(bool ref) {
    if (block_ == nullptr) return;
    uv_handle_t* h = reinterpret_cast<uv_handle_t*>(&block_->handle);
    if (ref) {
      uv_ref(h);
    } else {
      uv_unref(h);
    }
  }

  // uv_close stops the handle at once (a poll's fd is forgotten by the loop); the block
  // and its cleanup hook go in the close callback.
  void Close() {
    Block* block = block_;
    if (block == nullptr) return;
    block_ = nullptr;
    block->wrapper = nullptr;
    CloseBlock(block);
  }

  // From a uv callback on `handle`: the owner, or null once the wrapper has let go.
  static void* OwnerOf(T* handle) {
    const Block* block = static_cast<const Block*>(handle->data);
    return block->wrapper != nullptr ? block->wrapper->owner_ : nullptr;
  }

 private:
  struct Block {
    T handle;
    UvHandle* wrapper = nullptr;  // null once the owner has let go
    napi_async_cleanup_hook_handle hook = nullptr;
    bool closing = false;
  };

  static void CloseBlock(Block* block) {
    if (block->closing) return;
    block->closing = true;
    uv_close(reinterpret_cast<uv_handle_t*>(&block->handle), [](uv_handle_t* h) {
      Block* b = static_cast<Block*>(h->data);
      if (b->hook != nullptr) napi_remove_async_cleanup_hook(b->hook);  // a terminating worker may go on
      delete b;
    });
  }

  static void OnEnvCleanup(napi_async_cleanup_hook_handle, void* arg) {
    Block* block = static_cast<Block*>(arg);
    UvHandle* wrapper = block->wrapper;
    block->wrapper = nullptr;
    if (wrapper != nullptr) wrapper->block_ = nullptr;
    CloseBlock(block);  // already closing: its callback comes, and removes the hook
    if (wrapper != nullptr && wrapper->teardown_ != nullptr) wrapper->teardown_(wrapper->owner_);
  }

  void* const owner_;
  const Teardown teardown_;
  Block* block_ = nullptr;
};

}  // namespace omnidb_binding
