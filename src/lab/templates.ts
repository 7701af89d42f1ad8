// Renders the config templates shipped in templates/ (redis.conf, sentinel.conf, nutcracker.yml).
// The syntax is deliberately tiny: {{name}} is replaced by a value, and {{#name}}...{{/name}}
// keeps its lines only when `name` is set (non-empty, not false).
import {readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

// dist/src/lab/templates.js and src/lab/templates.ts both sit three levels below the package root.
const TEMPLATE_DIR = fileURLToPath(new URL('../../../templates/', import.meta.url))

export type TemplateValues = Record<string, string | number | boolean | undefined>

export function templatePath(name: string): string {
  return `${TEMPLATE_DIR}${name}`
}

export function renderTemplateText(text: string, values: TemplateValues): string {
  const withSections = text.replace(/\{\{#(\w+)\}\}\n?([\s\S]*?)\{\{\/\1\}\}\n?/g, (_match, key: string, body: string) => {
    const value = values[key]
    return value === undefined || value === false || value === '' ? '' : body
  })
  const rendered = withSections.replace(/\{\{(\w+)\}\}/g, (_match, key: string) => {
    const value = values[key]
    if (value === undefined) throw new Error(`template value "${key}" is missing`)
    return String(value)
  })
  // Blocks substituted as empty strings leave blank lines behind: drop runs of them.
  return rendered.replace(/\n{3,}/g, '\n\n').replace(/\n+$/, '\n')
}

export function renderTemplate(name: string, values: TemplateValues): string {
  return renderTemplateText(readFileSync(templatePath(name), 'utf8'), values)
}
