// The JS face of omnidb::Orchestrator: translation only.
//
// JS validates every option and passes one plain object of ids and numbers; the
// state table is a JS-owned Int32Array whose memory the core writes in place; core
// events are handed to one JS dispatch function as numbers. Nothing here decides.
//
// No clock and no OS timer here: JS owns time. Every call that needs the time
// carries it (`now`, milliseconds on the orchestrator's JS clock), and whenever the
// core's next due time changes this object tells JS through its schedule function,
// schedule(due, keepAlive) (due -1: nothing pending); JS arms one timer on its clock
// (the host's global setTimeout, or a ManualClock) and calls runDue(now) when it fires.
//
// The dispatch function closes over the JS Orchestrator, which holds this object.
// It is kept as a property of this object's JS wrapper, where GC sees the whole
// cycle. While the core is running, this object holds a strong reference to its own
// wrapper (like a ref'd timer keeps itself alive), so monitoring goes on when the
// application drops the orchestrator; stopping or closing lets go of it.
#pragma once

#include <napi.h>

#include <memory>

#include "../src/core/orchestrator.h"

namespace omnidb_binding {

class NativeOrchestrator : public Napi::ObjectWrap<NativeOrchestrator> {
 public:
  static Napi::Function Define(Napi::Env env);

  // new NativeOrchestrator(options, stateTable: Int32Array, dispatch: Function,
  //                        schedule: Function, now: number)
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
  Napi::Value RunDue(const Napi::CallbackInfo& info);
  Napi::Value CheckNow(const Napi::CallbackInfo& info);
  Napi::Value Fallback(const Napi::CallbackInfo& info);
  Napi::Value Details(const Napi::CallbackInfo& info);

  // The time argument at `index`; the core's time never goes back.
  int64_t Time(const Napi::CallbackInfo& info, size_t index);
  int32_t Id(const Napi::CallbackInfo& info, size_t index);
  // A trial ticket argument (see Acquire); anything but a number means 0, no trial.
  static uint32_t Ticket(const Napi::CallbackInfo& info, size_t index);
  // Tells JS the next due time if it changed, then hands queued core events to JS.
  void Flush(Napi::Env env);
  void Schedule(napi_env env);
  void DrainEvents(napi_env env);
  // The strong reference to this object's own wrapper while the core runs: taken
  // once when it starts running, dropped once when it stops.
  void HoldWhileRunning();
  void ReleaseWhenStopped();
  // The end of a close: the queue delivered, no event reaches JS after this.
  void FinishClose();

  std::unique_ptr<omnidb::Orchestrator> core_;
  Napi::Reference<Napi::Int32Array> table_;
  int64_t now_ = 0;             // the latest time JS passed
  int64_t scheduled_due_ = -1;  // what JS was last told (see Schedule)
  bool scheduled_keep_ = false;
  bool closing_ = false;  // close() was called: nothing starts or runs any more
  bool closed_ = false;   // and its flush has finished: no more events reach JS
  bool flushing_ = false;
  bool held_ = false;  // see HoldWhileRunning()
};

}  // namespace omnidb_binding
