// NFC as Hugging Face's Unicode 9.0 tables give it: hand-written cases with code points
// assigned after 9.0; and the windowed NFC must equal the NFC of the whole string
// (utf8proc's, between code points 9.0 did not have) for every BMP character next to
// combining marks and Hangul jamo, and on random mixes.
#include "runtime/tokenizer/nfc_normalizer.h"

#include <cstdlib>
#include <random>
#include <string>

#include <gtest/gtest.h>
#include <utf8proc.h>

#include "runtime/tokenizer/unicode9_assigned.h"
#include "runtime/tokenizer/utf8.h"

namespace linnet {
namespace {

std::string utf8proc_nfc(const std::string& s) {
  utf8proc_uint8_t* out = utf8proc_NFC(reinterpret_cast<const utf8proc_uint8_t*>(s.c_str()));
  std::string r(reinterpret_cast<const char*>(out));
  std::free(out);
  return r;
}

// utf8proc's NFC of the whole string, split at the code points 9.0 did not have (which
// 9.0's NFC leaves in place and never composes across; the hand-written cases below
// check that rule, this checks the windowing).
std::string reference_nfc(const std::string& s) {
  std::string r, piece;
  std::size_t i = 0;
  std::uint32_t cp = 0;
  while (i < s.size()) {
    const std::size_t start = i;
    EXPECT_TRUE(utf8::decode(s, i, cp));
    if (assigned_in_unicode9(cp)) {
      piece.append(s, start, i - start);
      continue;
    }
    r += utf8proc_nfc(piece) + s.substr(start, i - start);
    piece.clear();
  }
  return r + utf8proc_nfc(piece);
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

std::string nfc_of(const std::string& s) {
  const NfcNormalizer nfc;
  NfcNormalizer::Scratch scratch;
  std::string out;
  EXPECT_TRUE(nfc.normalize(s, out, scratch).ok());
  return out;
}

// Ages from the UCD's DerivedAge.txt, by hand.
TEST(Unicode9Assigned, KnowsWhichCodePointsUnicode9Had) {
  for (std::uint32_t cp : {0x0u, 0x41u, 0x377u, 0x8D4u /* 9.0 */, 0x1DF5u /* 7.0 */, 0x1DFBu /* 9.0 */,
                           0x1E944u /* 9.0 */, 0xAC00u, 0xD800u, 0xE000u, 0xFFFFu, 0x1F6D2u /* 9.0 */,
                           0x2FFFFu /* noncharacter, 2.0 */, 0x10FFFDu /* private use, 2.0 */}) {
    EXPECT_TRUE(assigned_in_unicode9(cp)) << std::hex << cp;
  }
  for (std::uint32_t cp : {0x378u /* unassigned */, 0x897u /* unassigned */, 0x898u /* 14.0 */, 0xD00u /* 10.0 */,
                           0x1DF6u /* 10.0 */, 0x1DFAu /* 14.0 */, 0x1F6D5u /* 12.0 */, 0x10F46u /* 11.0 */,
                           0x11930u /* 13.0 */, 0x1E4ECu /* 15.0 */, 0x2FA1Eu /* unassigned */,
                           0x30000u /* CJK extension G, 13.0 */, 0x110000u}) {
    EXPECT_FALSE(assigned_in_unicode9(cp)) << std::hex << cp;
  }
}

// Expected outputs from the Unicode 9.0 rules (HF's tables): a code point assigned after
// 9.0 has class 0 and no decomposition and composes with nothing. Combining classes
// quoted are Unicode 15.1's (what utf8proc would use).
TEST(NfcNormalizer, CodePointsAfterUnicode9AreStartersThatComposeWithNothing) {
  // U+1DFA COMBINING DOT BELOW LEFT (14.0; class 218 in 15.1) between e and U+0301: no é
  // (15.1 would compose e + U+0301 across it, class 218 < 230).
  EXPECT_EQ(nfc_of(chars({'e', 0x1DFA, 0x301})), chars({'e', 0x1DFA, 0x301}));
  // Nor reordered before a 9.0 mark (15.1 would sort 218 before 230).
  EXPECT_EQ(nfc_of(chars({'x', 0x301, 0x1DFA})), chars({'x', 0x301, 0x1DFA}));
  // What precedes it composes as usual; what follows is only reordered among itself:
  // U+0301 (230) and U+0323 (220) after the barrier sort to U+0323 U+0301.
  EXPECT_EQ(nfc_of(chars({'A', 0x301})), chars({0xC1}));
  EXPECT_EQ(nfc_of(chars({'e', 0x301, 0x1DFA})), chars({0xE9, 0x1DFA}));
  EXPECT_EQ(nfc_of(chars({'x', 0x1DFA, 0x301, 0x323})), chars({'x', 0x1DFA, 0x323, 0x301}));
  EXPECT_EQ(nfc_of(chars({'e', 0x1DFA, 0x323, 0x301})), chars({'e', 0x1DFA, 0x323, 0x301}));
  // U+1DF6 (10.0, class 232) and U+1DF7 (10.0, class 228) around U+0308 (230): nothing
  // moves and a + U+0308 does not compose (15.1: a U+1DF7 U+0308 U+1DF6 -> ä U+1DF7 U+1DF6).
  EXPECT_EQ(nfc_of(chars({'a', 0x1DF6, 0x308, 0x1DF7})), chars({'a', 0x1DF6, 0x308, 0x1DF7}));
  // Sogdian U+10F46 COMBINING DOT BELOW (11.0, class 220).
  EXPECT_EQ(nfc_of(chars({'e', 0x10F46, 0x301})), chars({'e', 0x10F46, 0x301}));
  EXPECT_EQ(nfc_of(chars({'x', 0x301, 0x10F46})), chars({'x', 0x301, 0x10F46}));
  // Nag Mundari U+1E4EC (15.0, class 232) after U+0301 and before U+0327 (202).
  EXPECT_EQ(nfc_of(chars({'c', 0x301, 0x1E4EC, 0x327})), chars({0x107, 0x1E4EC, 0x327}));
  // Malayalam U+0D3B VERTICAL BAR VIRAMA (10.0, class 9) stays after U+0301 (230).
  EXPECT_EQ(nfc_of(chars({0xD15, 0x301, 0xD3B})), chars({0xD15, 0x301, 0xD3B}));
  // Dives Akuru (13.0): U+11935 U+11930 is U+11938's decomposition in 15.1, but 9.0 has
  // neither, so nothing composes; U+11938 itself stays.
  EXPECT_EQ(nfc_of(chars({0x11935, 0x11930})), chars({0x11935, 0x11930}));
  EXPECT_EQ(nfc_of(chars({0x11938, 0x301})), chars({0x11938, 0x301}));
  // Unassigned even now: the same rule (and utf8proc's).
  EXPECT_EQ(nfc_of(chars({'e', 0x378, 0x301})), chars({'e', 0x378, 0x301}));
  // 9.0 characters around them still compose and reorder: U+1DFB DELETION MARK (9.0, 230).
  EXPECT_EQ(nfc_of(chars({'e', 0x1DFA, 'e', 0x323, 0x301, 0x1DFB})), chars({'e', 0x1DFA, 0x1EB9, 0x301, 0x1DFB}));
  EXPECT_EQ(nfc_of(chars({0x1100, 0x1161, 0x1DF6, 0x11A8})), chars({0xAC00, 0x1DF6, 0x11A8}));
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
                                   0x110B9, 0x110BA, 0x11099, 0x0F73, 0x0F71, 0x0F72, 0x05B7, 0x05B8, 0x05D0,
                                   // assigned after Unicode 9.0
                                   0x1DFA, 0x1DF6, 0x1DF7, 0x10F46, 0x10F48, 0x1E4EC, 0x11935, 0x11930,
                                   0x11938, 0x0D3B, 0x0378};
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
