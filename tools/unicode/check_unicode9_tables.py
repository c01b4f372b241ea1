#!/usr/bin/env python3
"""Checks that NFC with Unicode 9.0's tables equals NFC with a later version's tables
applied between the code points 9.0 did not have (runtime/tokenizer/nfc_normalizer.h):
for every code point assigned in 9.0 (DerivedAge.txt), the combining class, the full
canonical decomposition and the primary composition pairs of the later UCD must equal
those of the unicode-normalization-alignments crate's src/tables.rs (Unicode 9.0, the
tables Hugging Face tokenizers normalise with), and the crate must have none for any
other code point. Prints the differences (none for UCD 15.1, utf8proc 3.0's version)
and the compositions that exist only after 9.0.

  tools/unicode/check_unicode9_tables.py UCD_DIR TABLES_RS
  (UCD_DIR: /usr/share/unicode of Debian's unicode-data; TABLES_RS: the crate's src/tables.rs)
"""
import re, sys
U = sys.argv[1].rstrip('/') + '/'
T = open(sys.argv[2]).read()
def section(name):
    i=T.index('const '+name); j=T.index('];',i); return T[i:j]
ccc9={}
for m in re.finditer(r'0x([0-9A-Fa-f]+),',section('CANONICAL_COMBINING_CLASS_KV')):
    kv=int(m.group(1),16); ccc9[kv>>8]=kv&0xff
dec9={}
for m in re.finditer(r"\(0x([0-9a-fA-F]+), &\[([^\]]*)\]\)",section('CANONICAL_DECOMPOSED_KV')):
    dec9[int(m.group(1),16)]=[int(x,16) for x in re.findall(r"u\{([0-9A-Fa-f]+)\}",m.group(2))]
comp9={}
for m in re.finditer(r"\(0x([0-9a-fA-F]+), '\\u\{([0-9A-Fa-f]+)\}'\)",section('COMPOSITION_TABLE_KV')):
    k=int(m.group(1),16); comp9[(k>>16,k&0xffff)]=int(m.group(2),16)
i=T.index('fn composition_table_astral')
for m in re.finditer(r"\('\\u\{([0-9A-F]+)\}', '\\u\{([0-9A-F]+)\}'\) => Some\('\\u\{([0-9A-F]+)\}'\)",T[i:i+3000]):
    comp9[(int(m.group(1),16),int(m.group(2),16))]=int(m.group(3),16)
print('crate 9.0: ccc',len(ccc9),'decomp',len(dec9),'pairs',len(comp9))
# ages
old=set()
for line in open(U+'DerivedAge.txt'):
    line=line.split('#')[0].strip()
    if not line: continue
    cps,age=[x.strip() for x in line.split(';')]
    a,b=(cps.split('..')+[cps])[:2] if '..' in cps else (cps,cps)
    if tuple(map(int,age.split('.')))<=(9,0):
        old.update(range(int(a,16),int(b,16)+1))
ccc15={};dm={}
lines=[l.split(';') for l in open(U+'UnicodeData.txt')]
for f in lines:
    cp=int(f[0],16)
    if int(f[3]): ccc15[cp]=int(f[3])
    if f[5] and not f[5].startswith('<'): dm[cp]=[int(x,16) for x in f[5].split()]
def full(cp):
    if cp not in dm: return [cp]
    return [y for x in dm[cp] for y in full(x)]
dec15={cp:full(cp) for cp in dm}
excl=set()
for line in open(U+'DerivedNormalizationProps.txt'):
    line=line.split('#')[0].strip()
    if not line: continue
    f=[x.strip() for x in line.split(';')]
    if f[1]=='Full_Composition_Exclusion':
        a,b=(f[0].split('..') if '..' in f[0] else (f[0],f[0]))
        excl.update(range(int(a,16),int(b,16)+1))
comp15={tuple(d):cp for cp,d in dm.items() if len(d)==2 and cp not in excl}
bad=0
for cp in set(ccc9)|set(ccc15):
    a=ccc9.get(cp,0); b=ccc15.get(cp,0)
    if cp in old and a!=b: print('ccc differs for 9.0 char',hex(cp),a,b); bad+=1
    if cp not in old and a!=0: print('crate has ccc for non-9.0',hex(cp)); bad+=1
for cp in set(dec9)|set(dec15):
    if cp in old and dec9.get(cp)!=dec15.get(cp): print('decomp differs',hex(cp),dec9.get(cp),dec15.get(cp)); bad+=1
    if cp not in old and cp in dec9: print('crate decomp for non-9.0',hex(cp)); bad+=1
for k in set(comp9)|set(comp15):
    c15=comp15.get(k); c9=comp9.get(k)
    if c9 is not None and c9!=c15: print('pair differs',k,c9,c15); bad+=1
    if c9 is None and c15 is not None:
        if c15 in old: print('15.1 composes a 9.0 char the crate does not',[hex(x) for x in k],hex(c15)); bad+=1
        elif all(x in old for x in k): print('new composite of two old chars',[hex(x) for x in k],hex(c15)); bad+=1
newcomp=[(k,c) for k,c in comp15.items() if c not in old]
print('post-9.0 primary composites:',[(tuple(hex(x) for x in k),hex(c)) for k,c in newcomp])
newccc=sorted(cp for cp in ccc15 if cp not in old)
print('post-9.0 chars with ccc != 0 in 15.1:',len(newccc))
print('differences:',bad)
sys.exit(1 if bad else 0)
