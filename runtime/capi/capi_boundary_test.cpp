// Every C API entry point is an exception boundary. This test links a build of
// linnet_capi.cpp with LINNET_CAPI_BOUNDARY_HOOK, which calls the hook below inside each
// boundary; armed, the hook throws. Each function linnet.h declares must (a) reach the
// hook (so it goes through a boundary) and (b) turn the throw into its documented error
// or fallback, and the process goes on. A function the header declares and this test
// does not call fails the test, so a new entry point gets checked too.
#include <gtest/gtest.h>

#include <functional>
#include <new>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "linnet/linnet.h"
#include "runtime/session/testing/tiny_model.h"

namespace {

enum class Throw { kNothing, kRuntimeError, kBadAlloc };
Throw g_throw = Throw::kNothing;     // test thread only
std::vector<std::string> g_reached;  // entry points whose boundary ran the hook

}  // namespace

void linnet_capi_boundary_hook(const char* entry_point) {
  g_reached.emplace_back(entry_point);
  if (g_throw == Throw::kRuntimeError) throw std::runtime_error("injected failure");
  if (g_throw == Throw::kBadAlloc) throw std::bad_alloc();
}

namespace {

// The functions linnet.h declares: CMake reads them from the header
// (LINNET_CAPI_DECLARED, comma-separated).
std::set<std::string> declared_functions() {
  std::set<std::string> names;
  std::stringstream list(LINNET_CAPI_DECLARED);
  for (std::string name; std::getline(list, name, ',');) names.insert(name);
  EXPECT_GT(names.size(), 20u) << LINNET_CAPI_DECLARED;
  return names;
}

class CApiBoundary : public ::testing::Test {
 protected:
  void SetUp() override {
    g_throw = Throw::kNothing;
    const std::string path = linnet::testing::tiny_bundle_path("f32");
    ASSERT_FALSE(path.empty());
    ASSERT_EQ(linnet_model_open(path.c_str(), nullptr, &model_, &error_), LINNET_OK) << error_.message;
    linnet_session_options options;
    linnet_session_options_init(&options);
    options.context_length = 64;
    ASSERT_EQ(linnet_session_create(model_, &options, &session_, &error_), LINNET_OK) << error_.message;
  }
  void TearDown() override {
    g_throw = Throw::kNothing;
    linnet_session_destroy(session_);
    linnet_model_close(model_);
  }
  linnet_model* model_ = nullptr;
  linnet_session* session_ = nullptr;
  linnet_error error_{};
};

TEST_F(CApiBoundary, EveryEntryPointTurnsAnExceptionIntoItsError) {
  // One call per function, with valid arguments. A status function returns its status;
  // the others return a value cast to long (or 0).
  linnet_error& e = error_;
  linnet_model* m = model_;
  linnet_session* s = session_;
  const linnet_token ids[] = {1, 2};
  linnet_token out_ids[8];
  char text[64];
  size_t n = 0;
  linnet_token token = 0;
  const float* logits = nullptr;
  linnet_model_info info{};
  linnet_sampling sampling{};
  double p[2] = {};
  const char* labels[] = {"yes", "no"};
  linnet_model* opened = nullptr;
  linnet_session* created = nullptr;
  linnet_model_options model_options{};
  linnet_session_options session_options{};
  struct Call {
    const char* name;
    bool has_status;
    std::function<long()> run;
  };
  const std::string bundle = linnet::testing::tiny_bundle_path("f32");
  const std::vector<Call> calls = {
      {"linnet_status_name", false, [] { return linnet_status_name(LINNET_IO)[0] == 'u' ? 0L : 1L; }},
      {"linnet_version", false, [] { return linnet_version()[0] == '0' ? 0L : 1L; }},  // its fallback: the version
      {"linnet_model_options_init", false, [&] { linnet_model_options_init(&model_options); return 0L; }},
      {"linnet_model_open", true, [&] { return long{linnet_model_open(bundle.c_str(), nullptr, &opened, &e)}; }},
      {"linnet_model_close", false, [] { linnet_model_close(nullptr); return 0L; }},
      {"linnet_model_get_info", true, [&] { return long{linnet_model_get_info(m, &info, &e)}; }},
      {"linnet_tokenize", true, [&] { return long{linnet_tokenize(m, "hi", 2, out_ids, 8, &n, &e)}; }},
      {"linnet_detokenize", true, [&] { return long{linnet_detokenize(m, ids, 2, text, sizeof text, &n, &e)}; }},
      {"linnet_format_chat", true,
       [&] { return long{linnet_format_chat(m, nullptr, "hi", -1, text, sizeof text, &n, &e)}; }},
      {"linnet_session_options_init", false, [&] { linnet_session_options_init(&session_options); return 0L; }},
      {"linnet_session_create", true, [&] { return long{linnet_session_create(m, nullptr, &created, &e)}; }},
      {"linnet_session_destroy", false, [] { linnet_session_destroy(nullptr); return 0L; }},
      {"linnet_session_reset", false, [&] { linnet_session_reset(s); return 0L; }},
      {"linnet_session_position", false, [&] { return long{linnet_session_position(s)}; }},
      {"linnet_session_memory_bytes", false, [&] { return static_cast<long>(linnet_session_memory_bytes(s)); }},
      {"linnet_session_prefill", true, [&] { return long{linnet_session_prefill(s, ids, 2, &e)}; }},
      {"linnet_session_decode", true, [&] { return long{linnet_session_decode(s, 1, &e)}; }},
      {"linnet_session_logits", true, [&] { return long{linnet_session_logits(s, &logits, &n, &e)}; }},
      {"linnet_sampling_init", false, [&] { linnet_sampling_init(m, &sampling); return 0L; }},
      {"linnet_session_set_sampling", true, [&] { return long{linnet_session_set_sampling(s, &sampling, &e)}; }},
      {"linnet_session_sample", true, [&] { return long{linnet_session_sample(s, &token, &e)}; }},
      {"linnet_is_stop_token", false, [&] { return long{linnet_is_stop_token(m, 1)}; }},
      {"linnet_session_generate", true,
       [&] { return long{linnet_session_generate(s, "hi", nullptr, 1, nullptr, nullptr, nullptr, &e)}; }},
      {"linnet_session_classify", true,
       [&] { return long{linnet_session_classify(s, "sys", "msg", labels, 2, p, nullptr, &e)}; }},
      {"linnet_session_save_prefix", true,
       [&] { return long{linnet_session_save_prefix(s, "sys", "/nonexistent/dir/prefix", &e)}; }},
      {"linnet_session_load_prefix", true,
       [&] { return long{linnet_session_load_prefix(s, "sys", "/nonexistent/dir/prefix", &e)}; }},
  };

  std::set<std::string> called;
  for (const Call& c : calls) called.insert(c.name);
  EXPECT_EQ(called, declared_functions()) << "each function linnet.h declares needs a call here";

  for (Throw kind : {Throw::kRuntimeError, Throw::kBadAlloc}) {
    for (const Call& c : calls) {
      SCOPED_TRACE(c.name);
      g_reached.clear();
      e = linnet_error{};
      g_throw = kind;
      const long result = c.run();
      g_throw = Throw::kNothing;
      ASSERT_EQ(g_reached, std::vector<std::string>{c.name}) << "the call did not go through a boundary";
      if (c.has_status) {
        const linnet_status expected = kind == Throw::kBadAlloc ? LINNET_OUT_OF_MEMORY : LINNET_INTERNAL;
        EXPECT_EQ(result, long{expected});
        EXPECT_EQ(e.status, expected);
        const std::string message = e.message;
        EXPECT_EQ(message, std::string(c.name) + (kind == Throw::kBadAlloc ? ": out of memory" : ": injected failure"));
      } else {
        EXPECT_EQ(result, 0L);  // the fallback
      }
    }
  }
  // Nothing was left half made, and the process serves on.
  EXPECT_EQ(opened, nullptr);
  EXPECT_EQ(created, nullptr);
  ASSERT_EQ(linnet_session_prefill(session_, ids, 2, &error_), LINNET_OK) << error_.message;
  ASSERT_EQ(linnet_session_sample(session_, &token, &error_), LINNET_OK) << error_.message;
}

}  // namespace
