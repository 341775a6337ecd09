# The solutions book: results/solutions.html, one self-contained page with every question
# of the sheets in the catalogue's order, its answers (value, formula, check) and its
# figures with their captions (dltheory.book). `book` needs everything `rule all` builds;
# after a partial run, `book_available` makes it from what exists and lists the rest with
# the command that builds each.


#: what the book shows: each figure's PNG and rendered caption, and the answers parts
BOOK_INPUTS = {
    "figures": expand(
        "results/figures/{id}.{ext}", id=list(FIGURES), ext=["png", "pdf", "rst"]
    ),
    "answers": [p for parts in ANSWER_SECTIONS.values() for p in parts],
    "catalogue": CATALOGUE,
}
BOOK_PARAMS = {
    "sections": ANSWER_SECTIONS,
    "titles": ANSWER_TITLES,
    "configfiles": CONFIG_FILES,
}


rule book:
    input:
        **BOOK_INPUTS,
        template="workflow/report/book.html.j2",
        code=code_inputs("book.py"),
    output:
        html="results/solutions.html",
    log:
        "results/logs/book.log",
    benchmark:
        "results/benchmarks/book.tsv"
    conda:
        CONDA_ENV
    params:
        **BOOK_PARAMS,
    script:
        "../scripts/book.py"


ruleorder: book > book_available


rule book_available:
    input:
        figures=lambda w: [p for p in BOOK_INPUTS["figures"] if Path(p).exists()],
        answers=lambda w: [p for p in BOOK_INPUTS["answers"] if Path(p).exists()],
        catalogue=CATALOGUE,
        template="workflow/report/book.html.j2",
        code=code_inputs("book.py"),
    output:
        html="results/solutions.html",
    log:
        "results/logs/book.log",
    benchmark:
        "results/benchmarks/book_available.tsv"
    conda:
        CONDA_ENV
    params:
        **BOOK_PARAMS,
    script:
        "../scripts/book.py"
