<?php
// PHP 7.4 compatibility check of the module's files: Debian ships one PHP (8.x), so this scans the
// tokens for syntax and functions newer than 7.4 that `php -l` on 8.x would accept.
//   php tests/php74_check.php            checks every .php file of this package
//   php tests/php74_check.php FILE...    checks those files
// Prints one line per finding (file:line: what, the version it needs) and exits 1 when there is any.
// Written for PHP 7.4 itself (it must run there too).

/** Functions added after PHP 7.4 (core and bundled default extensions), with the version. */
const PHP74_NEWER_FUNCTIONS = [
    'str_contains' => '8.0', 'str_starts_with' => '8.0', 'str_ends_with' => '8.0', 'fdiv' => '8.0',
    'get_debug_type' => '8.0', 'get_resource_id' => '8.0', 'preg_last_error_msg' => '8.0',
    'array_is_list' => '8.1', 'enum_exists' => '8.1', 'fsync' => '8.1', 'fdatasync' => '8.1',
    'array_find' => '8.4', 'array_find_key' => '8.4', 'array_any' => '8.4', 'array_all' => '8.4',
    'mb_str_pad' => '8.3', 'json_validate' => '8.3', 'str_increment' => '8.3', 'str_decrement' => '8.3',
    'mb_trim' => '8.4', 'mb_ltrim' => '8.4', 'mb_rtrim' => '8.4', 'mb_ucfirst' => '8.4', 'mb_lcfirst' => '8.4',
    'memory_reset_peak_usage' => '8.2', 'ini_parse_quantity' => '8.2', 'curl_upkeep' => '8.2',
    'openssl_cipher_key_length' => '8.2', 'libxml_get_external_entity_loader' => '8.2',
];

/** Type names a 7.4 signature cannot use, with the version that allows them. */
const PHP74_NEWER_TYPES = ['mixed' => '8.0', 'never' => '8.1', 'null' => '8.2', 'false' => '8.2', 'true' => '8.2'];

/** Token names that only exist for constructs newer than 7.4. */
const PHP74_NEWER_TOKENS = [
    'T_NULLSAFE_OBJECT_OPERATOR' => ['nullsafe operator ?->', '8.0'],
    'T_ATTRIBUTE' => ['attribute #[…]', '8.0'],
    'T_ENUM' => ['enum', '8.1'],
    'T_READONLY' => ['readonly property', '8.1'],
];

function php74_significant(array $tokens)
{
    $out = [];
    $line = 1;
    foreach ($tokens as $t) {
        if (is_array($t)) {
            $line = $t[2];
            if (in_array($t[0], [T_WHITESPACE, T_COMMENT, T_DOC_COMMENT], true)) {
                continue;
            }
            $out[] = ['id' => $t[0], 'name' => token_name($t[0]), 'text' => $t[1], 'line' => $line];
        } else {
            $out[] = ['id' => null, 'name' => $t, 'text' => $t, 'line' => $line];
        }
    }
    return $out;
}

/** True for a bare name token (T_STRING, or a reserved word used as a name on PHP 8). */
function php74_is_name(array $t)
{
    return in_array($t['name'], ['T_STRING', 'T_NAME_QUALIFIED', 'T_NAME_FULLY_QUALIFIED', 'T_ARRAY', 'T_STATIC', 'T_CALLABLE'], true);
}

/** Findings for one file's source: a list of [line, message]. */
function php74_check_source($source)
{
    $found = [];
    $tokens = php74_significant(token_get_all($source));
    $count = count($tokens);
    // The opening paren of each open ( … ), and whether it is a call's argument list.
    $parens = [];
    for ($i = 0; $i < $count; $i++) {
        $t = $tokens[$i];
        $prev = $i > 0 ? $tokens[$i - 1] : null;
        $next = $i + 1 < $count ? $tokens[$i + 1] : null;
        if (array_key_exists($t['name'], PHP74_NEWER_TOKENS)) {
            list($what, $version) = PHP74_NEWER_TOKENS[$t['name']];
            $found[] = [$t['line'], "$what needs PHP $version"];
        }
        if (($t['name'] === 'T_STRING' || $t['name'] === 'T_MATCH') && strtolower($t['text']) === 'match' && $next && $next['text'] === '(' && !($prev && in_array($prev['name'], ['T_FUNCTION', 'T_OBJECT_OPERATOR', 'T_DOUBLE_COLON', 'T_NEW'], true))) {
            // `match (…) {` (T_MATCH on 8.x; on 7.4 a name, then a block), not a method named match.
            $close = php74_matching($tokens, $i + 1);
            if ($close !== null && isset($tokens[$close + 1]) && $tokens[$close + 1]['text'] === '{') {
                $found[] = [$t['line'], 'match expression needs PHP 8.0'];
            }
        }
        if ($t['text'] === '?' && $next && $next['name'] === 'T_OBJECT_OPERATOR') {
            $found[] = [$t['line'], 'nullsafe operator ?-> needs PHP 8.0'];
        }
        if ($t['text'] === '(') {
            $isCall = $prev && (php74_is_name($prev) || $prev['name'] === 'T_VARIABLE' || $prev['text'] === ')' || $prev['text'] === ']');
            $parens[] = $isCall && !($i > 1 && $tokens[$i - 2]['name'] === 'T_FUNCTION');
            if ($next && $next['name'] === 'T_ELLIPSIS' && isset($tokens[$i + 2]) && $tokens[$i + 2]['text'] === ')') {
                $found[] = [$t['line'], 'first-class callable syntax f(...) needs PHP 8.1'];
            }
        } elseif ($t['text'] === ')') {
            array_pop($parens);
            if ($prev && $prev['text'] === ',' && php74_in_signature($tokens, $i)) {
                $found[] = [$t['line'], 'trailing comma in a parameter or use list needs PHP 8.0'];
            }
        }
        // Named arguments: `f(name: …)` — a name right after ( or , of a call, then a single colon.
        if (php74_is_name($t) && $next && $next['text'] === ':' && $prev && ($prev['text'] === '(' || $prev['text'] === ',') && !empty($parens) && end($parens)) {
            $found[] = [$t['line'], 'named argument ' . $t['text'] . ': needs PHP 8.0'];
        }
        if ($t['name'] === 'T_STRING' && array_key_exists(strtolower($t['text']), PHP74_NEWER_FUNCTIONS) && $next && $next['text'] === '(' && !($prev && in_array($prev['name'], ['T_FUNCTION', 'T_OBJECT_OPERATOR', 'T_DOUBLE_COLON', 'T_NEW'], true))) {
            $found[] = [$t['line'], $t['text'] . '() needs PHP ' . PHP74_NEWER_FUNCTIONS[strtolower($t['text'])]];
        }
        if ($t['name'] === 'T_FUNCTION' || $t['name'] === 'T_FN') {
            foreach (php74_check_signature($tokens, $i) as $f) {
                $found[] = $f;
            }
        }
        if ($t['name'] === 'T_NEW' && php74_in_initializer($tokens, $i)) {
            $found[] = [$t['line'], 'new in an initializer needs PHP 8.1'];
        }
        if ($t['name'] === 'T_THROW' && $prev && in_array($prev['text'], ['=', '??', '?:', '=>', '(', ',', '?', ':', '&&', '||', 'and', 'or'], true)) {
            $found[] = [$t['line'], 'throw as an expression needs PHP 8.0'];
        }
        if ($t['name'] === 'T_CATCH' && $next && $next['text'] === '(') {
            $j = $i + 2;
            while ($j < $count && $tokens[$j]['text'] !== ')' && $tokens[$j]['name'] !== 'T_VARIABLE') {
                $j++;
            }
            if ($j < $count && $tokens[$j]['text'] === ')') {
                $found[] = [$t['line'], 'catch without a variable needs PHP 8.0'];
            }
        }
    }
    return $found;
}

/** Index of the ) matching the ( at $open, or null. */
function php74_matching(array $tokens, $open)
{
    $depth = 0;
    for ($j = $open, $n = count($tokens); $j < $n; $j++) {
        if ($tokens[$j]['text'] === '(' || $tokens[$j]['text'] === '[' || $tokens[$j]['text'] === '{') {
            $depth++;
        } elseif ($tokens[$j]['text'] === ')' || $tokens[$j]['text'] === ']' || $tokens[$j]['text'] === '}') {
            $depth--;
            if ($depth === 0) {
                return $j;
            }
        }
    }
    return null;
}

/** Whether the ) at $close ends a function's parameter list or a closure's use list. */
function php74_in_signature(array $tokens, $close)
{
    $depth = 0;
    for ($j = $close; $j >= 0; $j--) {
        $text = $tokens[$j]['text'];
        if ($text === ')' || $text === ']' || $text === '}') {
            $depth++;
        } elseif ($text === '(' || $text === '[' || $text === '{') {
            $depth--;
            if ($depth === 0) {
                $before = $j > 0 ? $tokens[$j - 1] : null;
                $before2 = $j > 1 ? $tokens[$j - 2] : null;
                return $before && ($before['name'] === 'T_USE' || $before['name'] === 'T_FUNCTION' || $before['name'] === 'T_FN'
                    || ($before2 && $before2['name'] === 'T_FUNCTION' && php74_is_name($before)));
            }
        }
    }
    return false;
}

/** Whether the `new` at $i is in a parameter's default value or a constant/property initializer. */
function php74_in_initializer(array $tokens, $i)
{
    for ($j = $i - 1; $j >= 0; $j--) {
        $text = $tokens[$j]['text'];
        if ($text === ';' || $text === '{' || $text === '}') {
            return false;
        }
        if ($text === '=') {
            for ($k = $j - 1; $k >= 0; $k--) {
                $name = $tokens[$k]['name'];
                if (in_array($name, ['T_CONST', 'T_PUBLIC', 'T_PRIVATE', 'T_PROTECTED', 'T_STATIC', 'T_VAR'], true)) {
                    return true;
                }
                if (in_array($tokens[$k]['text'], [';', '{', '}'], true)) {
                    return false;
                }
                if ($tokens[$k]['text'] === '(' && $k > 0 && ($tokens[$k - 1]['name'] === 'T_FN' || ($k > 1 && $tokens[$k - 2]['name'] === 'T_FUNCTION'))) {
                    return true;
                }
            }
            return false;
        }
    }
    return false;
}

/** Union types, newer type names, promoted constructor parameters in the signature at $i. */
function php74_check_signature(array $tokens, $i)
{
    $found = [];
    $n = count($tokens);
    $j = $i + 1;
    if ($j < $n && $tokens[$j]['text'] === '&') {
        $j++;
    }
    $name = $j < $n && php74_is_name($tokens[$j]) ? strtolower($tokens[$j]['text']) : '';
    while ($j < $n && $tokens[$j]['text'] !== '(') {
        $j++;
    }
    $close = php74_matching($tokens, $j);
    if ($close === null) {
        return $found;
    }
    // Parameters: the parts of each one before its default value.
    $depth = 0;
    $inDefault = false;
    for ($k = $j + 1; $k < $close; $k++) {
        $t = $tokens[$k];
        if (in_array($t['text'], ['(', '[', '{'], true)) {
            $depth++;
        } elseif (in_array($t['text'], [')', ']', '}'], true)) {
            $depth--;
        }
        if ($depth > 0) {
            continue;
        }
        if ($t['text'] === ',') {
            $inDefault = false;
            continue;
        }
        if ($t['text'] === '=') {
            $inDefault = true;
        }
        if ($inDefault) {
            continue;
        }
        $found = array_merge($found, php74_type_token($tokens, $k));
        if ($name === '__construct' && in_array($t['name'], ['T_PUBLIC', 'T_PRIVATE', 'T_PROTECTED', 'T_READONLY'], true)) {
            $found[] = [$t['line'], 'constructor property promotion needs PHP 8.0'];
        }
    }
    // Return type: after `):` up to the body, `;` or `=>`.
    $k = $close + 1;
    if ($k < $n && $tokens[$k]['name'] === 'T_USE') {
        $k = php74_matching($tokens, $k + 1) + 1;
    }
    if ($k < $n && $tokens[$k]['text'] === ':') {
        for ($k++; $k < $n && !in_array($tokens[$k]['text'], ['{', ';', '=>'], true) && $tokens[$k]['name'] !== 'T_DOUBLE_ARROW'; $k++) {
            $found = array_merge($found, php74_type_token($tokens, $k));
            if ($tokens[$k]['name'] === 'T_STATIC') {
                $found[] = [$tokens[$k]['line'], 'static return type needs PHP 8.0'];
            }
        }
    }
    return $found;
}

/** Findings for one token of a type declaration. */
function php74_type_token(array $tokens, $k)
{
    $t = $tokens[$k];
    if ($t['text'] === '|') {
        return [[$t['line'], 'union type needs PHP 8.0']];
    }
    if (in_array($t['name'], ['T_AMPERSAND_NOT_FOLLOWED_BY_VAR_OR_VARARG'], true)) {
        return [[$t['line'], 'intersection type needs PHP 8.1']];
    }
    if ($t['name'] === 'T_STRING' && array_key_exists(strtolower($t['text']), PHP74_NEWER_TYPES)) {
        $next = isset($tokens[$k + 1]) ? $tokens[$k + 1] : null;
        $prev = isset($tokens[$k - 1]) ? $tokens[$k - 1] : null;
        // A type: followed by the variable, by `|`, or the last thing before the body (return type).
        if ($next && ($next['name'] === 'T_VARIABLE' || $next['text'] === '|' || $next['name'] === 'T_ELLIPSIS' || $next['text'] === '{' || $next['text'] === ';' || ($prev && $prev['text'] === ':'))) {
            return [[$t['line'], $t['text'] . ' type needs PHP ' . PHP74_NEWER_TYPES[strtolower($t['text'])]]];
        }
    }
    return [];
}

function php74_files($dir)
{
    $out = [];
    $it = new RecursiveIteratorIterator(new RecursiveDirectoryIterator($dir, FilesystemIterator::SKIP_DOTS));
    foreach ($it as $file) {
        $path = $file->getPathname();
        if (substr($path, -4) === '.php' && strpos($path, DIRECTORY_SEPARATOR . 'node_modules' . DIRECTORY_SEPARATOR) === false) {
            $out[] = $path;
        }
    }
    sort($out);
    return $out;
}

if (PHP_SAPI === 'cli' && realpath($_SERVER['SCRIPT_FILENAME']) === __FILE__) {
    $files = count($argv) > 1 ? array_slice($argv, 1) : php74_files(dirname(__DIR__));
    $findings = 0;
    foreach ($files as $file) {
        $source = @file_get_contents($file);
        if ($source === false) {
            fwrite(STDERR, "$file: cannot be read\n");
            exit(2);
        }
        foreach (php74_check_source($source) as $f) {
            echo $file . ':' . $f[0] . ': ' . $f[1] . "\n";
            $findings++;
        }
    }
    if ($findings === 0) {
        echo 'PHP 7.4 compatible: ' . count($files) . " file(s) checked\n";
    }
    exit($findings === 0 ? 0 : 1);
}
