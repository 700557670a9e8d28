#include "loop_timer.h"

namespace omnidb_binding {

LoopTimer::LoopTimer(napi_env env, uv_loop_t* loop, Callback callback, void* owner)
    : env_(env), loop_(loop), callback_(callback), owner_(owner), handle_(this) {}

std::string LoopTimer::Arm(int64_t delay_ms, bool keep_alive) {
  if (!handle_.is_open()) {
    std::string error = handle_.Open(env_, loop_, "uv_timer_init", uv_timer_init);
    if (!error.empty()) return error;
  }
  handle_.SetRef(keep_alive);
  uv_update_time(loop_);  // the loop's time is cached: a timer armed after long JS would fire at once
  const int err =
      uv_timer_start(handle_.get(), OnTimer, static_cast<uint64_t>(delay_ms < 0 ? 0 : delay_ms), 0);
  return err == 0 ? std::string() : UvError("uv_timer_start", err);
}

void LoopTimer::Stop() {
  // uv_timer_stop cannot fail (it returns 0 for any initialised timer).
  if (handle_.is_open()) uv_timer_stop(handle_.get());
}

void LoopTimer::OnTimer(uv_timer_t* handle) {
  auto* timer = static_cast<LoopTimer*>(UvHandle<uv_timer_t>::OwnerOf(handle));
  if (timer != nullptr) timer->callback_(timer->owner_);
}

}  // namespace omnidb_binding
