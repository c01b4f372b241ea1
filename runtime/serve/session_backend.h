// The model behind the serial server: a Model, one Session and a Classifier
// (runtime/session), answering the Backend calls on the server's worker thread.
//
// info() and status() are answered from copies kept under a mutex (and an atomic), so
// the reader thread never touches the session while a request runs.
//
// After an OTA commit, switch_model() moves to the new bundle. To stay within the
// memory a device planned for one model, the old session's arena is released before
// the new one is made; if the new bundle then fails to load, the old model is brought
// back and keeps serving.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>

#include "runtime/serve/backend.h"
#include "runtime/session/classifier.h"
#include "runtime/session/model.h"
#include "runtime/session/session.h"

namespace linnet::serve {

struct SessionBackendOptions {
  ModelOptions model;  // verify_sha256 (default): each bundle is hashed before it serves
  SessionOptions session;
  ClassifierOptions classifier;
  // XNNPACK's packed weights in "<bundle>.xnnpack" beside whichever bundle is loaded
  // (so each OTA slot keeps its own), instead of session.executor.packed_weights_cache.
  bool packed_cache_beside_bundle = false;
};

class SessionBackend final : public Backend {
 public:
  // Opens the bundle at `bundle_path` and creates the session. `model_name` ("" = from
  // the bundle's provenance, else the file name) is what `info` reports.
  // `hashed_by_caller`: the caller verified this file's SHA-256 a moment ago (the OTA
  // agent's trial load, which opens it the same way): it is not hashed a second time
  // (about 1.5 s of CPU for a 0.8B q4 bundle here, several seconds on a Pi 4).
  static Result<std::unique_ptr<SessionBackend>> open(const std::string& bundle_path,
                                                      const std::string& model_name,
                                                      SessionBackendOptions options,
                                                      bool hashed_by_caller = false);

  // Serves `bundle_path` from now on (worker thread only, between requests).
  Status switch_model(const std::string& bundle_path, const std::string& model_name,
                      bool hashed_by_caller = false);

  BackendInfo info() const override;
  BackendStatus status() const override;
  Result<ClassifyResult> classify(const ClassifyRequest& request, const CancelToken& cancel) override;
  Result<GenerateResult> generate(std::string_view prompt, const GenerateOptions& options,
                                  const TokenSink& on_token, const CancelToken& cancel) override;

 private:
  struct Loaded {
    std::unique_ptr<Model> model;
    std::unique_ptr<Session> session;
  };
  explicit SessionBackend(SessionBackendOptions options)
      : options_(std::move(options)), classifier_(options_.classifier) {}

  Result<Loaded> load(const std::string& bundle_path, bool hashed_by_caller) const;
  void publish_info(const std::string& model_name);

  SessionBackendOptions options_;
  Loaded loaded_;  // worker thread only
  std::string bundle_path_;
  Classifier classifier_;

  mutable std::mutex info_mutex_;
  BackendInfo info_;
  std::atomic<std::uint32_t> context_used_{0};
};

}  // namespace linnet::serve
