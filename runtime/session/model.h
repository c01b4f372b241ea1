// A loaded model: the mapped, validated bundle and the tokenizer built over it. Read-only
// after open(): several sessions (and threads) may share one Model. Sessions borrow it, so
// it lives behind a unique_ptr and must outlive them.
#pragma once

#include <memory>
#include <string>

#include "runtime/bundle/bundle.h"
#include "runtime/core/result.h"
#include "runtime/core/sha256.h"
#include "runtime/tokenizer/tokenizer.h"

namespace linnet {

struct ModelOptions {
  // Hash the whole file at open and compare with the recorded content SHA-256
  // (kVerification on a mismatch), so a bundle damaged on storage never serves. On by
  // default: it reads every weight page once (which the first request would do anyway);
  // its measured cost is in docs/bundle-format.md, "What is verified when". Off only when
  // the caller verified the same file just before.
  bool verify_sha256 = true;
};

class Model {
 public:
  static Result<std::unique_ptr<Model>> open(const std::string& path, const ModelOptions& options = {});

  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  const Bundle& bundle() const { return bundle_; }
  const Tokenizer& tokenizer() const { return tokenizer_; }
  const HyperParams& hyper_params() const { return bundle_.hyper_params(); }
  const Sha256Digest& content_sha256() const { return sha256_; }
  int vocab_size() const { return bundle_.hyper_params().vocab_size; }

  // Generation ends at <|im_end|> (the bundle's eos) or <|endoftext|>.
  bool is_stop_token(TokenId id) const {
    return id >= 0 && (id == tokenizer_.eos_id() || id == tokenizer_.im_end_id() ||
                       id == tokenizer_.endoftext_id());
  }

 private:
  Model(Bundle bundle, Tokenizer tokenizer, Sha256Digest sha256)
      : bundle_(std::move(bundle)), tokenizer_(std::move(tokenizer)), sha256_(sha256) {}

  Bundle bundle_;
  Tokenizer tokenizer_;  // views into bundle_'s mapping (stable across the move above)
  Sha256Digest sha256_{};
};

}  // namespace linnet
