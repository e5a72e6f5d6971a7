import os

for var in ("WEFT_OUT", "WEFT_SAMPLE_HZ", "WEFT_FLUSH_MS"):
    print(f"{var}={os.environ.get(var)}")
