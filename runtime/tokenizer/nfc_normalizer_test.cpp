// The windowed NFC must equal utf8proc's NFC of the whole string, for every BMP
// character next to combining marks and Hangul jamo, and on random mixes.
#include "tokenizer/nfc_normalizer.h"

#include <cstdlib>
#include <random>
#include <string>

#include <gtest/gtest.h>
#include <utf8proc.h>

#include "tokenizer/utf8.h"

namespace linnet {
namespace {

std::string reference_nfc(const std::string& s) {
  utf8proc_uint8_t* out = utf8proc_NFC(reinterpret_cast<const utf8proc_uint8_t*>(s.c_str()));
  std::string r(reinterpret_cast<const char*>(out));
  std::free(out);
  return r;
}

std::string chars(std::initializer_list<std::uint32_t> cps) {
  std::string s;
  for (auto cp : cps) utf8::append(s, cp);
  return s;
}

TEST(NfcNormalizer, ComposesAndReorders) {
  const NfcNormalizer nfc;
  NfcNormalizer::Scratch scratch;
  std::string out;
  ASSERT_TRUE(nfc.normalize(chars({'e', 0x301, 'x'}), out, scratch).ok());
  EXPECT_EQ(out, chars({0xE9, 'x'}));
  // Dot below (ccc 220) sorts before acute (ccc 230); then e + dot below composes.
  ASSERT_TRUE(nfc.normalize(chars({'a', 0xE9, 0x323, '!'}), out, scratch).ok());
  EXPECT_EQ(out, chars({'a', 0x1EB9, 0x301, '!'}));
  // Hangul L + V + T -> one syllable.
  ASSERT_TRUE(nfc.normalize(chars({0x1100, 0x1161, 0x11A8}), out, scratch).ok());
  EXPECT_EQ(out, chars({0xAC01}));
  // A singleton: U+212B ANGSTROM SIGN -> U+00C5.
  ASSERT_TRUE(nfc.normalize(chars({'x', 0x212B}), out, scratch).ok());
  EXPECT_EQ(out, chars({'x', 0xC5}));
  EXPECT_FALSE(nfc.normalize(std::string("\xC3", 1) + "\xE9", out, scratch).ok());
}

TEST(NfcNormalizer, LvSyllableKeepsU11A7) {
  // Unicode 3.12: an LV syllable composes with a T jamo only for 0 < TIndex, so
  // U+AC00 U+11A7 is already NFC (as in Rust's unicode-normalization, which the
  // Hugging Face tokenizers use).
  const NfcNormalizer nfc;
  NfcNormalizer::Scratch scratch;
  std::string out;
  const std::string s = chars({0xAC00, 0x11A7, 0x301, 0xAC00, 0x11A7});
  ASSERT_TRUE(nfc.normalize(s, out, scratch).ok());
  EXPECT_EQ(out, s);
}

TEST(NfcNormalizer, EqualsWholeStringNfcForEveryBmpCharacter) {
  const NfcNormalizer nfc;
  NfcNormalizer::Scratch scratch;
  std::string out;
  int failures = 0;
  for (std::uint32_t cp = 0xA0; cp < 0x10000; ++cp) {
    if (cp >= 0xD800 && cp <= 0xDFFF) continue;
    // utf8proc 2.9 wrongly composes an LV syllable with U+11A7 (TIndex 0, which the
    // standard excludes) and drops it; see LvSyllableKeepsU11A7. The windowed code never
    // hands U+11A7 (inert) to utf8proc after a syllable, so it follows the standard.
    if (cp == 0x11A7) continue;
    const std::string variants[] = {
        chars({'a', cp, 0x301, 'b'}),   chars({cp, 0x323, 0x301}), chars({0x1100, cp, 0x11A8}),
        chars({cp, 0x1161, 0x11A8, ' '}), chars({0xAC00, cp}),      chars({'e', 0x308, cp, 0x301}),
        chars({0x0B47, cp}),              chars({cp, 0x0B3E}),       chars({0x3099, cp, 0x3099})};
    for (const std::string& s : variants) {
      ASSERT_TRUE(nfc.normalize(s, out, scratch).ok());
      if (out != reference_nfc(s) && ++failures <= 10) ADD_FAILURE() << "U+" << std::hex << cp;
    }
  }
  EXPECT_EQ(failures, 0);
}

TEST(NfcNormalizer, EqualsWholeStringNfcOnRandomMixes) {
  const std::uint32_t palette[] = {'a', 'e', 'o', ' ', 'A', 0xE9, 0xC5, 0x212B, 0x301, 0x308, 0x323, 0x327,
                                   0x344, 0x1100, 0x1161, 0x11A8, 0xAC00, 0xAC01, 0x0915, 0x093C, 0x0958,
                                   0x0B47, 0x0B3E, 0x0B57, 0x304B, 0x3099, 0x1F600, 0x1D15E, 0x1D165, 0x2F800,
                                   0x110B9, 0x110BA, 0x11099, 0x0F73, 0x0F71, 0x0F72, 0x05B7, 0x05B8, 0x05D0};
  std::mt19937 rng(7);
  const NfcNormalizer nfc;
  NfcNormalizer::Scratch scratch;
  std::string out;
  for (int t = 0; t < 20000; ++t) {
    std::string s;
    const int len = static_cast<int>(rng() % 12);
    for (int k = 0; k < len; ++k) utf8::append(s, palette[rng() % std::size(palette)]);
    ASSERT_TRUE(nfc.normalize(s, out, scratch).ok());
    ASSERT_EQ(out, reference_nfc(s)) << t;
  }
}

}  // namespace
}  // namespace linnet
