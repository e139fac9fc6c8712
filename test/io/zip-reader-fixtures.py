# Writes the zip archives of test/io/zip-reader.test.ts into the folder argv[1] and prints, as JSON,
# what Python's zipfile makes of each: {name: {"names": [...], "sizes": [...]} or {"error": "..."}}.
# Valid archives come from zipfile itself; broken ones are laid out by hand after APPNOTE.TXT
# (4.3.7 local header, 4.3.12 central header, 4.3.16 end record, 4.5.3 Zip64 extra field).
import json, os, struct, sys, warnings, zipfile, zlib

out_dir = sys.argv[1]
BIG = 2 ** 32  # buffer.constants.MAX_LENGTH of Node 20 on 64-bit machines


def deflate(data):
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


def stored_blocks(data, block):
    """A raw deflate stream of stored blocks of `block` bytes each (5 header bytes per block)."""
    out = b''
    for i in range(0, len(data), block):
        chunk = data[i:i + block]
        out += bytes([1 if i + block >= len(data) else 0]) + struct.pack('<HH', len(chunk), 0xffff ^ len(chunk)) + chunk
    return out


def archive(entries, comment=b'', cd_size=None):
    """Local headers, data, central directory and end record; each entry a dict of field overrides."""
    body, cd = b'', b''
    for e in entries:
        name, data, method = e['name'], e.get('data', b''), e.get('method', 0)
        payload = e.get('payload', deflate(data) if method == 8 else data)
        crc = e.get('crc', zlib.crc32(data))
        local_name = e.get('local_name', name)
        offset = len(body)
        body += struct.pack('<IHHHHHIIIHH', e.get('local_sig', 0x04034b50), 20, 0, method, 0, 0, crc, len(payload), len(data),
                            len(local_name), e.get('local_extra_len', 0)) + local_name + payload
        extra, note = e.get('extra', b''), e.get('comment', b'')
        cd += struct.pack('<IHHHHHHIIIHHHHHII', e.get('cd_sig', 0x02014b50), 20, 20, e.get('flags', 0), method, 0, 0, crc,
                          e.get('csize', len(payload)), e.get('size', len(data)), e.get('name_len', len(name)), len(extra),
                          len(note), 0, 0, 0, offset) + name + extra + note
    end = struct.pack('<IHHHHIIH', 0x06054b50, 0, 0, len(entries), len(entries), len(cd) if cd_size is None else cd_size, len(body), len(comment))
    return body + cd + end + comment


def zip64_extra(*values):
    return struct.pack('<HH', 1, 8 * len(values)) + b''.join(struct.pack('<Q', v) for v in values)


TEXT = bytes(range(256)) * 4 + b'tail'  # 1028 bytes
ZEROS = bytes(100_000)
Z = deflate(ZEROS)
# 4000 bytes that do not compress, as 1019-byte stored blocks: 1024 stream bytes per whole block.
NOISE = bytes((i * 7919 + (i >> 8) * 31) & 0xff for i in range(4000))
fixtures = {
    # The archive comment ends with a well-formed end record of an empty archive.
    'fake-end-in-comment': archive([{'name': b'a', 'data': b'abc'}], comment=struct.pack('<IHHHHIIH', 0x06054b50, 0, 0, 0, 0, 0, 0, 0)),
    'empty-name': archive([{'name': b'', 'data': b'abc'}]),
    'bad-central-signature': archive([{'name': b'a', 'data': b'abc', 'cd_sig': 0x02014b51}]),
    'name-past-directory': archive([{'name': b'a', 'data': b'abc', 'name_len': 0x100}]),
    'encrypted': archive([{'name': b'a', 'data': b'abc', 'flags': 1}]),
    'stored-sizes-differ': archive([{'name': b'a', 'data': b'abc', 'csize': 2}]),
    'past-directory': archive([{'name': b'a', 'data': TEXT, 'method': 8, 'csize': len(deflate(TEXT)) + 20}]),
    'ratio-limit': archive([{'name': b'z', 'data': ZEROS, 'method': 8, 'size': len(Z) * 1032 + 1024}]),
    'ratio-over': archive([{'name': b'z', 'data': ZEROS, 'method': 8, 'size': len(Z) * 1032 + 1025}]),
    'size-short': archive([{'name': b'a', 'data': TEXT, 'method': 8, 'size': len(TEXT) + 1}]),
    'size-long': archive([{'name': b'a', 'data': TEXT, 'method': 8, 'size': len(TEXT) - 1}]),
    'corrupt-deflate': archive([{'name': b'a', 'data': TEXT, 'method': 8, 'payload': b'\xff' * 16}]),
    'local-signature': archive([{'name': b'a', 'data': b'abc', 'local_sig': 0x04034b51}]),
    'local-name': archive([{'name': b'a', 'data': b'abc', 'local_name': b'b'}]),
    'local-extra-past-directory': archive([{'name': b'a', 'data': TEXT[:150], 'local_extra_len': 200}]),
    'stored-blocks': archive([{'name': b'n', 'data': NOISE, 'method': 8, 'payload': stored_blocks(NOISE, 1019)}]),
    # Zip64 sizes in the central directory, after an extended-timestamp field (0x5455, 5 bytes).
    'zip64-after-timestamp': archive([{'name': b'a', 'data': TEXT, 'size': 0xffffffff, 'csize': 0xffffffff,
                                       'extra': struct.pack('<HHBI', 0x5455, 5, 1, 0x5f5e1000) + zip64_extra(len(TEXT), len(TEXT))}]),
    'zip64-short': archive([{'name': b'a', 'data': TEXT, 'size': 0xffffffff, 'csize': 0xffffffff, 'extra': zip64_extra(len(TEXT))}]),
    'max-length': archive([{'name': b'm', 'data': b'', 'payload': bytes(4161790), 'method': 8, 'size': 0xffffffff, 'extra': zip64_extra(BIG)}]),
    'max-length-over': archive([{'name': b'm', 'data': b'', 'payload': bytes(4161790), 'method': 8, 'size': 0xffffffff, 'extra': zip64_extra(BIG + 1)}]),
}
for name, data in fixtures.items():
    with open(os.path.join(out_dir, name + '.zip'), 'wb') as f:
        f.write(data)


def write(name, entries):
    """entries: (name or ZipInfo, data, compression)."""
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')  # zipfile warns about the duplicate name
        with zipfile.ZipFile(os.path.join(out_dir, name + '.zip'), 'w') as z:
            for info, data, compression in entries:
                z.writestr(info, data, compress_type=compression)


def commented(name, comment):
    info = zipfile.ZipInfo(name)
    info.comment = comment
    return info


write('empty', [])
S, D = zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED
write('plain', [('stored', TEXT, S), ('deflated', TEXT, D)])
write('entry-comment', [(commented('a', b'hi'), b'abc', S), ('b', b'defg', S)])
write('duplicate', [('a', b'abc', S), ('a', b'abd', S)])
write('bzip2', [('a', TEXT, zipfile.ZIP_BZIP2)])
with open(os.path.join(out_dir, 'not-a-zip.zip'), 'wb') as f:
    f.write(b'this is a text file of more than twenty-two bytes\n')

report = {}
for file in sorted(os.listdir(out_dir)):
    try:
        with zipfile.ZipFile(os.path.join(out_dir, file)) as z:
            infos = z.infolist()
            report[file[:-4]] = {'names': [i.filename for i in infos], 'sizes': [i.file_size for i in infos]}
            if file in ('empty-name.zip', 'zip64-after-timestamp.zip', 'stored-blocks.zip', 'plain.zip'):
                report[file[:-4]]['data'] = [z.read(i).hex() for i in infos]
    except Exception as e:
        report[file[:-4]] = {'error': f'{type(e).__name__}: {e}'}
print(json.dumps(report))
