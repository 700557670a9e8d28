#include "uv_poll_watcher.h"

namespace omnidb_binding {

struct UvPollWatcher::Block {
  uv_poll_t handle;
  UvPollWatcher* watcher = nullptr;  // null once the owner has let go
  napi_async_cleanup_hook_handle hook = nullptr;
  int fd = -1;
  int active = 0;  // the uv events the handle is started with; 0 when stopped
  bool closing = false;
};

UvPollWatcher::UvPollWatcher(napi_env env, Callback callback, Teardown teardown, void* owner)
    : env_(env), callback_(callback), teardown_(teardown), owner_(owner) {
  napi_get_uv_event_loop(env, &loop_);
}

void UvPollWatcher::Want(int fd, bool read, bool write) {
  if (block_ != nullptr && block_->fd != fd) Release();
  if (block_ == nullptr) {
    auto* block = new Block();
    // Fails only for an fd libuv cannot poll or one another handle already watches; the
    // probe then hears nothing, and its check timeout ends the round.
    if (uv_poll_init(loop_, &block->handle, fd) != 0) {
      delete block;
      return;
    }
    block->handle.data = block;
    block->watcher = this;
    block->fd = fd;
    napi_add_async_cleanup_hook(env_, OnEnvCleanup, block, &block->hook);
    if (!keep_alive_) uv_unref(reinterpret_cast<uv_handle_t*>(&block->handle));
    block_ = block;
  }
  const int events = (read ? UV_READABLE : 0) | (write ? UV_WRITABLE : 0);
  if (events == 0) {
    Stop();
  } else if (events != block_->active) {
    uv_poll_start(&block_->handle, events, OnPoll);
    block_->active = events;
  }
}

void UvPollWatcher::Stop() {
  if (block_ == nullptr || block_->active == 0) return;
  uv_poll_stop(&block_->handle);
  block_->active = 0;
}

void UvPollWatcher::Release() {
  Block* block = block_;
  if (block == nullptr) return;
  block_ = nullptr;
  block->watcher = nullptr;
  CloseBlock(block);
}

void UvPollWatcher::SetKeepAlive(bool keep_alive) {
  keep_alive_ = keep_alive;
  if (block_ == nullptr) return;
  uv_handle_t* handle = reinterpret_cast<uv_handle_t*>(&block_->handle);
  if (keep_alive) {
    uv_ref(handle);
  } else {
    uv_unref(handle);
  }
}

// uv_close stops the poll (the loop forgets the fd) at once; the block, and the cleanup
// hook that keeps a terminating worker waiting for it, go in the close callback.
void UvPollWatcher::CloseBlock(Block* block) {
  if (block->closing) return;
  block->closing = true;
  uv_close(reinterpret_cast<uv_handle_t*>(&block->handle), [](uv_handle_t* h) {
    Block* b = static_cast<Block*>(h->data);
    if (b->hook != nullptr) napi_remove_async_cleanup_hook(b->hook);
    delete b;
  });
}

void UvPollWatcher::OnPoll(uv_poll_t* handle, int status, int events) {
  Block* block = static_cast<Block*>(handle->data);
  UvPollWatcher* watcher = block->watcher;
  if (watcher == nullptr) return;
  int ready = 0;
  if (status < 0) {
    block->active = 0;  // libuv has stopped the handle
    ready = omnidb::kIoError;
  } else {
    if (events & (UV_READABLE | UV_DISCONNECT)) ready |= omnidb::kIoReadable;
    if (events & UV_WRITABLE) ready |= omnidb::kIoWritable;
  }
  // Last: the owner may release this block, or start the next round on a new one.
  watcher->callback_(watcher->owner_, ready);
}

void UvPollWatcher::OnEnvCleanup(napi_async_cleanup_hook_handle, void* arg) {
  Block* block = static_cast<Block*>(arg);
  UvPollWatcher* watcher = block->watcher;
  block->watcher = nullptr;
  if (watcher != nullptr && watcher->block_ == block) watcher->block_ = nullptr;
  CloseBlock(block);  // the loop lets go of the fd before the owner closes the socket
  if (watcher != nullptr && watcher->teardown_ != nullptr) watcher->teardown_(watcher->owner_);
}

}  // namespace omnidb_binding
