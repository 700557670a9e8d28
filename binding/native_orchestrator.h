// The JS face of omnidb::Orchestrator: translation only.
//
// JS validates every option and passes one plain object of ids and numbers; the
// state table is a JS-owned Int32Array whose memory the core writes in place; core
// events are handed to one JS dispatch function as numbers. Nothing here decides.
//
// The dispatch function closes over the JS Orchestrator, which holds this object.
// It is kept as a property of this object's JS wrapper, where GC sees the whole
// cycle. While the core is running, this object holds a strong reference to its own
// wrapper (like a ref'd timer keeps itself alive), so monitoring goes on when the
// application drops the orchestrator; stopping or closing lets go of it.
#pragma once

#include <napi.h>

#include <memory>

#include "../src/orchestrator.h"
#include "loop_timer.h"

namespace omnidb_binding {

class NativeOrchestrator : public Napi::ObjectWrap<NativeOrchestrator> {
 public:
  static Napi::Function Define(Napi::Env env);

  // new NativeOrchestrator(options, stateTable: Int32Array, dispatch: Function,
  //                        manualClock: boolean)
  explicit NativeOrchestrator(const Napi::CallbackInfo& info);
  ~NativeOrchestrator() override;

 private:
  Napi::Value Start(const Napi::CallbackInfo& info);
  Napi::Value Stop(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value Acquire(const Napi::CallbackInfo& info);
  Napi::Value ReleaseTrial(const Napi::CallbackInfo& info);
  Napi::Value RecordSuccess(const Napi::CallbackInfo& info);
  Napi::Value RecordFailure(const Napi::CallbackInfo& info);
  Napi::Value ReportCheck(const Napi::CallbackInfo& info);
  Napi::Value SetExternalCircuit(const Napi::CallbackInfo& info);
  Napi::Value SetTime(const Napi::CallbackInfo& info);
  Napi::Value Now(const Napi::CallbackInfo& info);
  Napi::Value Fallback(const Napi::CallbackInfo& info);
  Napi::Value NextDue(const Napi::CallbackInfo& info);
  Napi::Value Details(const Napi::CallbackInfo& info);

  static void OnTimer(void* self);
  int64_t CurrentTime();
  int32_t Id(const Napi::CallbackInfo& info, size_t index);
  // A trial ticket argument (see Acquire); anything but a number means 0, no trial.
  static uint32_t Ticket(const Napi::CallbackInfo& info, size_t index);
  // Hands queued core events to JS, then re-arms the loop timer for the next due.
  // `from_loop`: called from a libuv callback, so JS runs through MakeCallback.
  void Flush(Napi::Env env, bool from_loop);
  void DrainEvents(napi_env env, bool from_loop);
  // The strong reference to this object's own wrapper while the core runs: taken
  // once when it starts running, dropped once when it stops.
  void HoldWhileRunning();
  void ReleaseWhenStopped();
  // The end of a close: the queue delivered, no event reaches JS after this.
  void FinishClose();

  std::unique_ptr<omnidb::Orchestrator> core_;
  Napi::Reference<Napi::Int32Array> table_;
  std::unique_ptr<Napi::AsyncContext> async_context_;
  LoopTimer timer_;
  bool manual_clock_ = false;
  int64_t manual_now_ = 0;
  bool clock_set_ = false;  // a manual clock has given its first reading
  bool closing_ = false;  // close() was called: nothing starts or runs any more
  bool closed_ = false;   // and its flush has finished: no more events reach JS
  bool flushing_ = false;
  bool held_ = false;  // see HoldWhileRunning()
};

}  // namespace omnidb_binding
