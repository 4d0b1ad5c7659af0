"""Other W4A16 GEMMs timed beside TensorRT-LLM's by the same method (`machete`: vLLM's
Machete)."""
