// Placeholder: the Datasets module (Foundation only).
