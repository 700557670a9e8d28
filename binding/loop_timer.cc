#include "loop_timer.h"

namespace omnidb_binding {

struct LoopTimer::Block {
  uv_timer_t handle;
  LoopTimer* timer = nullptr;  // null once the owner has let go
  napi_async_cleanup_hook_handle hook = nullptr;
};

LoopTimer::LoopTimer(napi_env env, Callback callback, void* owner)
    : env_(env), callback_(callback), owner_(owner) {
  napi_get_uv_event_loop(env, &loop_);
}

void LoopTimer::Arm(int64_t delay_ms, bool keep_alive) {
  if (block_ == nullptr) {
    block_ = new Block();
    block_->timer = this;
    uv_timer_init(loop_, &block_->handle);
    block_->handle.data = block_;
    napi_add_async_cleanup_hook(env_, OnEnvCleanup, block_, &block_->hook);
  }
  uv_handle_t* handle = reinterpret_cast<uv_handle_t*>(&block_->handle);
  if (keep_alive) {
    uv_ref(handle);
  } else {
    uv_unref(handle);
  }
  uv_update_time(loop_);
  uv_timer_start(&block_->handle, OnTimer, static_cast<uint64_t>(delay_ms < 0 ? 0 : delay_ms),
                 0);
}

void LoopTimer::Stop() {
  if (block_ != nullptr) uv_timer_stop(&block_->handle);
}

void LoopTimer::Close() {
  Block* block = block_;
  if (block == nullptr) return;
  block_ = nullptr;
  block->timer = nullptr;
  napi_remove_async_cleanup_hook(block->hook);
  block->hook = nullptr;
  uv_timer_stop(&block->handle);
  uv_close(reinterpret_cast<uv_handle_t*>(&block->handle),
           [](uv_handle_t* h) { delete static_cast<Block*>(h->data); });
}

void LoopTimer::OnTimer(uv_timer_t* handle) {
  Block* block = static_cast<Block*>(handle->data);
  if (block->timer != nullptr) block->timer->callback_(block->timer->owner_);
}

void LoopTimer::OnEnvCleanup(napi_async_cleanup_hook_handle, void* arg) {
  // The environment is going away (worker terminated, or process exit): close the
  // handle now, and tell Node we are done only once libuv has let go of it.
  Block* block = static_cast<Block*>(arg);
  if (block->timer != nullptr) block->timer->block_ = nullptr;
  block->timer = nullptr;
  uv_timer_stop(&block->handle);
  uv_close(reinterpret_cast<uv_handle_t*>(&block->handle), [](uv_handle_t* h) {
    Block* b = static_cast<Block*>(h->data);
    napi_remove_async_cleanup_hook(b->hook);
    delete b;
  });
}

}  // namespace omnidb_binding
