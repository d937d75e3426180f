#!/bin/sh
# Makes Tests/Fixtures/whisper/languages/<code>.flac: one short espeak-ng utterance per language
# (German, French, Spanish, Russian), 16 kHz mono 16-bit FLAC, for the multilingual Whisper
# fixtures (scripts/make-language-reference.py). Run by hand, not by make: the output depends on
# the installed espeak-ng (made with 1.51) and sox (14.4.2), and the committed files are the fixture.
set -eu

out=Tests/Fixtures/whisper/languages
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out"

# say CODE TEXT
say() {
    espeak-ng -v "$1" -s 160 -w "$tmp/$1.wav" "$2"
    # -D: no dither, so the conversion is repeatable bit for bit.
    sox -D "$tmp/$1.wav" -r 16000 -c 1 -b 16 "$out/$1.flac"
}

# Texts base (multilingual) both recognises the language of (probability > 0.5) and transcribes
# nearly word for word; many others, Russian and French especially, it takes for Polish, Hindi, Thai.
say de "Guten Morgen. Ich hätte gern einen Kaffee, bitte."
say fr "Je voudrais un café et un croissant, s'il vous plaît."
say es "Buenos días. Hoy hace muy buen tiempo."
say ru "Спасибо. Сегодня очень хорошая погода."

du -ch "$out"/*.flac
