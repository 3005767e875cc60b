"""Getting outside records into the catalogue.

`parsers/` turns registry and citation files into plain records: pure Python, importing no
models, unit-tested without a database. `registry` (ClinicalTrials.gov, with the merge policy)
and `citations` (RIS) decide what to write and write it through `trials.services`.
"""
