// Compressed fixtures made once with CPython 3.11 (zlib 1.2.13; gzip with mtime 0) from
// `sampleText`, stored as base64 (no committed binaries):
//   dynamic = zlib.compress(text, 9); fixed = raw deflate, level 9, strategy Z_FIXED;
//   stored = raw deflate, level 0, of text[:150]; gzip = gzip(text[:500]) + gzip(text[500:900]).

import Foundation

/// "sample i value (i·i mod 1009)\n" for i in 0..<120 (2391 bytes).
let sampleText: [UInt8] = Array((0..<120).map { "sample \($0) value \(($0 * $0) % 1009)\n" }.joined().utf8)

func base64Bytes(_ text: String) -> [UInt8] { [UInt8](Data(base64Encoded: text, options: .ignoreUnknownCharacters)!) }

let zlibDynamicFixture = base64Bytes("""
    eNpNlkGOGDEIBO95xT5hsI3Bz9lDbokUaZW8P5EyXe3TSAjjLsAwX58/f/34/vF8/Pn88fvf99vXf0O8hpBhvIYlw3wNR4alI1uW
    fC0jZdmvZeJTikucfi2bq85radSEBMdjyWge9pPsWESLiVDuDMQflAXyrT82SPYTwmjHE8QcvvcA76yKY5ljiGMt+5H+Jt4QRw7u
    HeLIQt8QxzbHEMe+/MRRVzxx1HUv5bC+KY5jjimOY95JPZAyhdE+STVWYaMa7q9JNdp+RZYdTxRr+lpRZAw6WBR5ULyCTNlPFJXE
    W2As7l3iOAN9Sxy2iOI0pqIdLaSBJQGLlurJo6OlGsEpiLz8BLEdLwVRvjcF0daX6ecHR26M9E/yNobF8DamzwpkJX22qUYhelON
    Y7/BeCDeZjot7t0CcWNsOPx0NzNq2I8plZbS5JS87MMTojFKGO2BVuH82ZG3MRFTk6L78KKbKVIlYhBdAqnLTyB9xaMePnrICylt
    ccxFvzR95TZo+qqI1zwOP8BezgE1agqybaMgk+R3cbHFsDi8J5pZlRTpPOQUkziGW/eIYx6kHEZuwXvEUdfCEsZxvxyeh3NwGFaX
    Fvpq+Kz7yuvuYeaG985DZ8W1LEEJb6MHlvs4MMP77YHGyuMxTtkIT146AdrXcYg8peLe6lbPXh8xbWQh+lci2Ox7X8eZX36nER5g
    l9GN5oyw3bMuoc3OMrz3e377CyGV1OM=
    """)

let rawFixedFixture = base64Bytes("""
    K07MLchJVTBQKEvMKQXSXMUQAUOogCFMwAgqYAITMIYKWMIETGBazGAiplARI1OYiBlUxBiuxhxmLtwcC6iIGdwqS6iIBdw1hjAH
    GxognAx3sxFCHczZhiZw0wyN4Q6F22kId7wl3GWGcOcj3G9oBvcSQh3MC0YWCPNgnjA2QthrCfc8IlRh/jBB+MMI5g8TE4Q6ePBb
    wM0zgvnD1AhurxHMH6bmcPcZwfxhhvCHEcwfZkjqYP4wRzIP5g9zJHvh0YFwnzHMH5YIfxjD/GGJ8K8xPD7gTjGGecMCoRMeGybm
    cDF4bCDSlzE8NiwQ6szhoYwwD+YLE2OEtTBfmBoawVMwzBemlnAXmxjCQwqhDuYLc1O4eSZwb5jA7TWB+cPSCO4+E5g/ECIwX1ha
    wIXM4ckR4RALuGfhAWACT1IWxvBMB09SFnAHm8I8YYqkDuYJM4R5pjBPmCPsNYV5wgLhPlNTRPaD+8PUDC4ITz+m8LxhhHAMPG8Y
    I/TCPGJiCk9nZvDYMIc72gweG5YIdUbw4gFunhm8dDKB22sG8wgiYZjB/YHIumbwMsoIoQ5eSpkinGIBD1N4uJhZwrMQPGGYw7xh
    gSjQzA0R4YdQCM8bxnDHmBvDIx2h2QSemuGRZG4Kdwzc0eYwj5gjqYN5xALJPHh8ILRawsMFHqQWMH8Ym8DTiwU8XSGSgQU8XZnD
    zbOAZw5EBrQwQYQBPI4s4BFihhCDR4gxPPAtzOEWIxwDrzgQ9YQFvKwyhUeSpQE8TOFCMH8YIZKuJcwfxpZwp1jCi1xzuH8tYf4w
    R6qwYN6wRKQXS3j2QISBJbywQnILPF0ZIfQi0hWiujOAl7mGiHrHAJ6yDJEqS7hXDBG1kQHcL8ja4Z4xQtRvBnDfIFxuaIDwjjlC
    EO4fUyR3wj1khqQd7iNEKWWIXKsjXA+v140MjRGC8AoR0ZQwhNfsZmZI2uHlFyKfGhoiCjAkQURCQ4QIvHY3NUdyqAW8zkJ4HlG/
    m3IBAA==
    """)

let rawStoredFixture = base64Bytes("""
    AZYAaf9zYW1wbGUgMCB2YWx1ZSAwCnNhbXBsZSAxIHZhbHVlIDEKc2FtcGxlIDIgdmFsdWUgNApzYW1wbGUgMyB2YWx1ZSA5CnNh
    bXBsZSA0IHZhbHVlIDE2CnNhbXBsZSA1IHZhbHVlIDI1CnNhbXBsZSA2IHZhbHVlIDM2CnNhbXBsZSA3IHZhbHVlIDQ5CnNhbXBs
    ZSA4IHY=
    """)

let gzipTwoMembersFixture = base64Bytes("""
    H4sIAAAAAAACA0WQQQ6DMAwE730FT8AbxyTP4dAbSJVQeT+V6l2fkEbGnsm1n5/jvazLvR/f3/d1/YElMAIkcIKWYBI4fwmSngSd
    JJI0zWzcqz0jSejUTDJkYxS2tZTljJqjtrm2WZOobprkp8xM+uVvoaSaYwJG7WNEQ92diq9XZYdXB9jhXnN6/qF9YEeH7oIdfZMf
    2BHZ8QCZiY0y9AEAAB+LCAAAAAAAAgNF0DEOAyEMRNE+p+AI2AwYjrPFdkSKFCXnTwpm3D55jf/uu/go32t/7jJiPN7X87X/FsfC
    l2zSJmTr2ITRWj22apUZbeScH7MualyXX4JTCFk/5qaLGyt85hwr2sh9rEDLZ1nRzWlgRV+6GKY/lXOsiK59UAb0LtixXPeBHSk/
    JOfCy5ABAAA=
    """)
