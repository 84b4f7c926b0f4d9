// Bundles src/entry.js (ODK Web Forms + Vue's runtime-only build) into server/web/static/webforms/ and
// writes LICENSES.txt for every npm package whose code ends up in the bundle.
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = dirname(fileURLToPath(import.meta.url));
const outDir = resolve(here, '../../server/web/static/webforms');

function packageOf(id) {
  const match = id.replace(/\\/g, '/').match(/node_modules\/((?:@[^/]+\/)?[^/]+)/g);
  return match ? match[match.length - 1].replace('node_modules/', '') : null;
}

function licences() {
  return {
    name: 'chumchon-licences',
    generateBundle() {
      const names = new Set();
      for (const id of this.getModuleIds()) {
        const name = packageOf(id);
        if (name) names.add(name);
      }
      // @getodk/web-forms ships one pre-bundled file: its dependencies' code is inside it.
      const walk = (name) => {
        if (names.has(name) && name !== '@getodk/web-forms') return;
        names.add(name);
        const meta = JSON.parse(readFileSync(join(here, 'node_modules', name, 'package.json'), 'utf8'));
        Object.keys(meta.dependencies || {}).forEach(walk);
      };
      walk('@getodk/web-forms');
      const parts = [];
      for (const name of [...names].sort()) {
        const dir = join(here, 'node_modules', name);
        const meta = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
        const file = readdirSync(dir).find((f) => /^(licen[cs]e|copying)(\.|$)/i.test(f));
        const text = file ? readFileSync(join(dir, file), 'utf8').trim() : '(no licence file in the package)';
        parts.push(`=== ${name}@${meta.version} (${meta.license || 'see text'}) ===\n\n${text}\n`);
      }
      const bundled = join(here, 'bundled-in-web-forms.txt');
      const extra = existsSync(bundled) ? readFileSync(bundled, 'utf8') : '';
      this.emitFile({ type: 'asset', fileName: 'LICENSES.txt', source: parts.join('\n') + '\n' + extra });
    },
  };
}

// Backport of the upstream fix in @getodk/xpath (getodk/web-forms after 0.22.0, not yet on the npm
// registry): decimal-date-time(.) and date(.) of a node (a date question's own value, as in the
// shipped forms' "not in the future" constraints) were refused with "Expected a NUMBER or STRING
// evaluation type"; upstream now reads the node as a string. The build fails if the code moved.
const DATE_TIME_FIX =
  /case "STRING": \{\s*const (\w+) = (\w+)\.toString\(\);\s*return dateTimeFromString\((\w+), \1\);\s*\}\s*default:\s*throw new Error\(\s*("Expected a NUMBER or STRING evaluation type for date-time conversion[^"]*")\s*\);/;

function backports() {
  return {
    name: 'chumchon-backports',
    transform(code, id) {
      if (!/@getodk\/web-forms\/dist\/index-[^/]*\.js$/.test(id) || !code.includes('const evaluateDateTime') && !code.includes('evaluateDateTime = ')) {
        return null;
      }
      if (!DATE_TIME_FIX.test(code)) {
        this.error('the decimal-date-time backport no longer matches @getodk/web-forms: check whether it is still needed');
      }
      return code.replace(
        DATE_TIME_FIX,
        (_all, value, evaluation, zone, message) =>
          `case "BOOLEAN": throw new Error(${message}); default: { const ${value} = ${evaluation}.toString(); return dateTimeFromString(${zone}, ${value}); }`,
      );
    },
  };
}

// Thai for Web Forms' own UI strings (it has no translations of its own in 0.22; Apache-2.0 allows the
// change, noted in LICENSES.txt): each `find` of thai-strings.json must occur once (or `count` times) in the dist
// module; its English literal becomes a look-up that answers Thai on a Thai page, English otherwise.
const THAI = JSON.parse(readFileSync(join(here, 'thai-strings.json'), 'utf8'));

function thaiStrings() {
  return {
    name: 'chumchon-thai',
    transform(code, id) {
      if (!/@getodk\/web-forms\/dist\/index-[^/]*\.js$/.test(id)) return null;
      let out = code;
      for (const patch of THAI.patches) {
        const count = out.split(patch.find).length - 1;
        if (count !== (patch.count || 1)) {
          this.error(`thai-strings.json: ${JSON.stringify(patch.find)} occurs ${count} times in @getodk/web-forms, not ${patch.count || 1}`);
        }
        let replacement = patch.replace;
        if (!replacement) {
          const literal = patch.find.match(/"((?:[^"\\]|\\.)*)"/g).find((l) => JSON.parse(l) in THAI.strings);
          if (!literal) this.error(`thai-strings.json: no string of ${JSON.stringify(patch.find)} is in "strings"`);
          replacement = patch.find.replace(literal, `__chumchonT(${literal})`);
        }
        out = out.split(patch.find).join(replacement);
      }
      const lookup =
        `const __chumchonThai = ${JSON.stringify(THAI.strings)};\n` +
        'function __chumchonT(english) {\n' +
        "  const thai = (document.documentElement.lang || 'th').toLowerCase().startsWith('th');\n" +
        '  return (thai && __chumchonThai[english]) || english;\n' +
        '}\n';
      return { code: lookup + out, map: null };
    },
  };
}

export default defineConfig({
  base: '/ui/static/webforms/',
  publicDir: false,
  logLevel: 'warn',
  define: {
    'process.env.NODE_ENV': '"production"',
    __VUE_OPTIONS_API__: 'true',
    __VUE_PROD_DEVTOOLS__: 'false',
    __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: 'false',
  },
  plugins: [backports(), thaiStrings(), licences()],
  build: {
    outDir,
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    chunkSizeWarningLimit: 8000,
    rollupOptions: {
      input: resolve(here, 'src/entry.js'),
      output: {
        entryFileNames: 'webforms.js',
        chunkFileNames: 'chunks/[name]-[hash].js',
        assetFileNames: 'assets/[name]-[hash][extname]',
      },
    },
  },
});
