#include "uv_poll_watcher.h"

namespace omnidb_binding {

UvPollWatcher::UvPollWatcher(napi_env env, uv_loop_t* loop, Callback callback, Teardown teardown, void* owner)
    : env_(env),
      loop_(loop),
      callback_(callback),
      teardown_(teardown),
      owner_(owner),
      handle_(this, &UvPollWatcher::OnEnvCleanup) {}

bool UvPollWatcher::Want(int fd, bool read, bool write) {
  if (handle_.is_open() && fd_ != fd) Release();
  if (!handle_.is_open()) {
    // Fails for an fd libuv cannot poll, or one another handle already watches.
    error_ = handle_.Open(env_, loop_, "uv_poll_init", uv_poll_init, fd);
    if (!error_.empty()) return false;
    fd_ = fd;
    active_ = 0;
    handle_.SetRef(keep_alive_);
  }
  const int events = (read ? UV_READABLE : 0) | (write ? UV_WRITABLE : 0);
  if (events == 0) {
    Stop();
  } else if (events != active_) {
    const int err = uv_poll_start(handle_.get(), events, OnPoll);
    if (err != 0) {
      error_ = UvError("uv_poll_start", err);
      Release();
      return false;
    }
    active_ = events;
  }
  return true;
}

void UvPollWatcher::Stop() {
  if (!handle_.is_open() || active_ == 0) return;
  // uv_poll_stop cannot fail on an open handle (it returns 0).
  uv_poll_stop(handle_.get());
  active_ = 0;
}

void UvPollWatcher::Release() {
  handle_.Close();  // the loop forgets the fd at once, before the owner closes the socket
  fd_ = -1;
  active_ = 0;
}

void UvPollWatcher::SetKeepAlive(bool keep_alive) {
  keep_alive_ = keep_alive;
  handle_.SetRef(keep_alive);
}

void UvPollWatcher::OnPoll(uv_poll_t* handle, int status, int events) {
  auto* watcher = static_cast<UvPollWatcher*>(UvHandle<uv_poll_t>::OwnerOf(handle));
  if (watcher == nullptr) return;
  int ready = 0;
  if (status < 0) {
    watcher->active_ = 0;  // libuv has stopped the handle
    ready = omnidb::kIoError;
  } else {
    if (events & (UV_READABLE | UV_DISCONNECT)) ready |= omnidb::kIoReadable;
    if (events & UV_WRITABLE) ready |= omnidb::kIoWritable;
  }
  // Last: the owner may release this handle, or start the next round on a new one.
  watcher->callback_(watcher->owner_, ready);
}

void UvPollWatcher::OnEnvCleanup(void* self) {
  // The handle is closing already: the loop lets go of the fd before the owner closes the socket.
  auto* watcher = static_cast<UvPollWatcher*>(self);
  watcher->fd_ = -1;
  watcher->active_ = 0;
  if (watcher->teardown_ != nullptr) watcher->teardown_(watcher->owner_);
}

}  // namespace omnidb_binding
